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

/** Cache key for a brief 404 (an unknown id), independent of format. */
export function notFoundCacheKey(requestUrl: string, id: string): Request {
  const origin = new URL(requestUrl).origin;
  return new Request(`${origin}/img/__404__/${id}`, { method: 'GET' });
}

export function defaultCache(): Cache {
  return (caches as unknown as { default: Cache }).default;
}
