import { Hono } from 'hono';
import { ImgedgeError } from '../../../shared/errors.js';
import { type DeletedImage, prefersRepresentation } from '../../../shared/http/deleted-image.js';
import { canonicalPathOf } from '../../../shared/options/request.js';
import { type CursorSealer, listLimit } from '../../db/cursor.js';
import type { Db } from '../../db/driver.js';
import { getImage, listImages } from '../../db/images.js';
import { deleteImage } from '../../images/delete.js';
import { toRecord } from '../../images/record.js';
import { uploadImage } from '../../images/upload.js';
import type { Mezzanines } from '../../mezzanine/service.js';
import type { Metrics } from '../../observability/metrics.js';
import type { OriginalStore } from '../../storage/originals.js';
import type { VariantStore } from '../../storage/variant-store.js';
import type { VariantCache } from '../../variants/disk-cache.js';
import type { VariantService } from '../../variants/service.js';
import type { WorkPool } from '../../variants/work-pool.js';
import type { OriginEnv } from '../env.js';

export interface ImageRouteDeps {
  db: Db;
  originals: OriginalStore;
  variantCache: VariantCache;
  /** Tier 2 of the variants (S3 only). */
  variantStore?: VariantStore | undefined;
  metrics: Metrics;
  maxFileSize: number;
  maxInputPixels: number;
  maxAnimationFrames: number;
  publicBaseUrl: string | undefined;
  cursors: CursorSealer;
  pool: WorkPool;
  variantService: VariantService;
  /** After a new upload, its mezzanine is made in the background (never delaying the 201). */
  mezzanines?: Mezzanines | undefined;
}

/** /images routes; authentication and scopes are applied by the caller (see app.ts). */
export function imageRoutes(deps: ImageRouteDeps) {
  const app = new Hono<OriginEnv>();

  app.post('/images', async (c) => {
    const owner = c.var.claims.sub;
    try {
      const { row, created } = await uploadImage(deps, owner, c.req.raw);
      deps.metrics.uploads.inc({ result: created ? 'created' : 'duplicate' });
      if (created) deps.metrics.uploadBytes.inc(row.bytes);
      c.var.log.info({ image_id: row.id, sha256: row.sha256, bytes: row.bytes, created }, 'upload');
      if (created) c.header('location', `${c.req.path.replace(/\/$/, '')}/${row.id}`);
      if (created) deps.mezzanines?.schedule(row.sha256, row);
      return c.json(toRecord(row, deps.publicBaseUrl), created ? 201 : 200);
    } catch (err) {
      deps.metrics.uploads.inc({ result: 'rejected' });
      throw err;
    }
  });

  app.get('/images', async (c) => {
    const owner = c.var.claims.sub;
    const limit = listLimit(c.req.query('limit'));
    const cursor = c.req.query('cursor');
    const page = await listImages(deps.db, owner, {
      limit,
      cursor: cursor === undefined ? undefined : deps.cursors.open(cursor, owner),
    });
    return c.json({
      items: page.items.map((row) => toRecord(row, deps.publicBaseUrl)),
      next_cursor: page.nextCursor ? deps.cursors.seal(page.nextCursor, owner) : null,
    });
  });

  app.get('/images/:id', async (c) => {
    const row = await getImage(deps.db, c.req.param('id'));
    if (!row || row.owner !== c.var.claims.sub) throw new ImgedgeError('not_found', 'No such image');
    return c.json(toRecord(row, deps.publicBaseUrl));
  });

  app.delete('/images/:id', async (c) => {
    const id = c.req.param('id');
    const { variants, removedSha256 } = await deleteImage(deps, c.var.claims.sub, id);
    // Every replica stops serving the id (and drops its variants when the bytes went).
    await deps.variantService.forget(id, removedSha256);
    if (!prefersRepresentation(c.req.header('prefer'))) return c.body(null, 204);
    // For the edge: the variant cache keys of this image it may hold (see deleted-image.ts).
    c.header('preference-applied', 'return=representation');
    const body: DeletedImage = {
      id,
      variants: variants.map((v) => ({ path: canonicalPathOf(id, v.canonical), format: v.format })),
    };
    return c.json(body, 200);
  });

  return app;
}
