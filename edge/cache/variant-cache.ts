/**
 * The edge's variant cache (Workers Cache API). The key is the canonical path plus the resolved
 * format, on this zone's host: nothing else of the request (cookies, other headers, the order or
 * spelling of options) can split or poison it. Responses are stored without `Vary`, since the
 * key already carries the negotiated format.
 */
export function variantCacheKey(requestUrl: string, canonicalPath: string, format: string): Request {
  const origin = new URL(requestUrl).origin;
  return new Request(`${origin}${canonicalPath}?format=${format}`, { method: 'GET' });
}

/**
 * Cache key for a brief 404 (an unknown id, a missing source image), independent of options and
 * format. `target` is the id or `@<source>/<canonical path>` (targetOf).
 */
export function notFoundCacheKey(requestUrl: string, target: string): Request {
  const origin = new URL(requestUrl).origin;
  return new Request(`${origin}/img/__404__/${target}`, { method: 'GET' });
}

export function defaultCache(): Cache {
  return (caches as unknown as { default: Cache }).default;
}

/**
 * Drop an image's variants from this location's cache (what the purge API does everywhere, but
 * the purge needs CF_ZONE_ID/CF_API_TOKEN and does nothing under `wrangler dev`). `variants` are
 * the canonical paths and resolved formats the origin made (its DELETE answer); keys never stored
 * here are a no-op. Returns how many entries were deleted.
 */
export async function evictVariants(
  requestUrl: string,
  variants: readonly { path: string; format: string }[],
): Promise<number> {
  const cache = defaultCache();
  const deleted = await Promise.all(
    variants
      .filter((v) => v.path.startsWith('/img/'))
      .map((v) => cache.delete(variantCacheKey(requestUrl, v.path, v.format))),
  );
  return deleted.filter(Boolean).length;
}
