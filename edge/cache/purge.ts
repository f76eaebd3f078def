/**
 * Deleting an image must also stop the edge from serving its variants, which are cached as
 * `immutable` for a year in every colo. Each stored variant (and cached 404) carries a Cache-Tag
 * naming its image; a delete purges that tag through Cloudflare's API, in every colo at once.
 */
import type { Context } from 'hono';
import type { EdgeEnv } from '../env.js';
import { log } from '../log.js';

export function cacheTagFor(id: string): string {
  return `imgedge-${id}`;
}

/** Purge image `id`'s tag, on behalf of the delete request `c` (its config and its id for the log). */
export async function purgeImage(c: Context<EdgeEnv>, id: string): Promise<void> {
  const purge = c.get('config').purge;
  if (!purge) {
    log(c, 'warn', {
      msg: 'image deleted but CF_ZONE_ID/CF_API_TOKEN are not set: its cached variants stay at the edge',
      image: id,
    });
    return;
  }
  try {
    const res = await fetch(`${purge.apiBase}/zones/${purge.zoneId}/purge_cache`, {
      method: 'POST',
      headers: { authorization: `Bearer ${purge.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tags: [cacheTagFor(id)] }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json().catch(() => ({}))) as { success?: boolean; errors?: unknown };
    if (!res.ok || body.success !== true)
      throw new Error(`HTTP ${res.status} ${JSON.stringify(body.errors ?? '')}`);
  } catch (err) {
    log(c, 'error', { msg: 'cache purge failed', image: id, error: String(err) });
  }
}
