/**
 * DELETE <API_PREFIX>/sources/<name>/<path> (scope images:write, applied by the caller): forget a
 * cached remote source image — its row, and its bytes and variants when nothing else references
 * them — so that the next request fetches it again. 204, or 404 when nothing was cached. With
 * `Prefer: return=representation` (the edge sends it) 200 with the variants made of those bytes,
 * as for an image delete (shared/http/deleted-image.ts), for the edge to evict locally.
 */
import { Hono } from 'hono';
import { ImgedgeError } from '../../../shared/errors.js';
import { type DeletedImage, prefersRepresentation } from '../../../shared/http/deleted-image.js';
import { canonicalPathOf } from '../../../shared/options/request.js';
import { formatSourceRef, parseSourceRef, SOURCE_PREFIX } from '../../../shared/sources/index.js';
import type { SourceCache } from '../../sources/source-cache.js';
import type { OriginEnv } from '../env.js';

export function sourceRoutes(deps: { apiPrefix: string; sourceCache: SourceCache }) {
  const app = new Hono<OriginEnv>();
  const base = `${deps.apiPrefix}/sources/`;

  app.delete('/sources/*', async (c) => {
    const pathname = new URL(c.req.url).pathname;
    if (!pathname.startsWith(base)) throw new ImgedgeError('not_found', 'No such source');
    // The raw path (parseSourceRef decodes it once, canonically).
    const ref = parseSourceRef(`${SOURCE_PREFIX}${pathname.slice(base.length)}`);
    const purged = await deps.sourceCache.purge(ref, c.var.log);
    if (!purged) throw new ImgedgeError('not_found', 'Nothing is cached for this source path');
    if (!prefersRepresentation(c.req.header('prefer'))) return c.body(null, 204);
    const text = formatSourceRef(ref);
    c.header('preference-applied', 'return=representation');
    const body: DeletedImage = {
      id: text,
      variants: purged.variants.map((v) => ({ path: canonicalPathOf(text, v.canonical), format: v.format })),
    };
    return c.json(body, 200);
  });

  return app;
}
