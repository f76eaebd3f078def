/**
 * Deleting an image must also stop the edge from serving its variants, which are cached as
 * `immutable` for a year in every colo — and so must a change of its stored focal point (PATCH),
 * which changes its cover/crop variants. Each stored variant (and cached 404) carries a Cache-Tag
 * naming its image; a delete or a focal change purges that tag through Cloudflare's API, in every colo at once. A
 * remote source image's responses carry `sourceCacheTag(ref)` instead, purged the same way by
 * `DELETE /api/v1/sources/<name>/<path>`.
 */
import type { Context } from 'hono';
import { formatSourceRef, type SourceRef, sourceCacheTag } from '../../shared/sources/index.js';
import type { EdgeEnv } from '../env.js';
import { log } from '../log.js';

export function cacheTagFor(id: string): string {
  return `imgedge-${id}`;
}

/**
 * Purge image `id`'s tag, on behalf of the request `c` (its config and its id for the log) that
 * deleted the image (`why`: 'image deleted') or changed its variants ('focal point changed').
 */
export function purgeImage(c: Context<EdgeEnv>, id: string, why = 'image deleted'): Promise<void> {
  return purgeTag(c, cacheTagFor(id), why, { image: id });
}

/** Purge a remote source image's tag, on behalf of the purge request `c`. */
export function purgeSource(c: Context<EdgeEnv>, ref: SourceRef): Promise<void> {
  return purgeTag(c, sourceCacheTag(ref), 'source purged', { source: formatSourceRef(ref) });
}

async function purgeTag(
  c: Context<EdgeEnv>,
  tag: string,
  what: string,
  subject: Record<string, string>,
): Promise<void> {
  const purge = c.get('config').purge;
  if (!purge) {
    log(c, 'warn', {
      msg: `${what} but CF_ZONE_ID/CF_API_TOKEN are not set: its cached variants stay at the edge`,
      ...subject,
    });
    return;
  }
  try {
    const res = await fetch(`${purge.apiBase}/zones/${purge.zoneId}/purge_cache`, {
      method: 'POST',
      headers: { authorization: `Bearer ${purge.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tags: [tag] }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json().catch(() => ({}))) as { success?: boolean; errors?: unknown };
    if (!res.ok || body.success !== true)
      throw new Error(`HTTP ${res.status} ${JSON.stringify(body.errors ?? '')}`);
  } catch (err) {
    log(c, 'error', { msg: 'cache purge failed', ...subject, error: String(err) });
  }
}
