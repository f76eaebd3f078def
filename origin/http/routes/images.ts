import { Hono } from 'hono';
import { ImgedgeError } from '../../../shared/errors.js';
import { type DeletedImage, prefersRepresentation } from '../../../shared/http/deleted-image.js';
import { type PatchedImage, PREFER_VARIANTS, prefersVariants } from '../../../shared/http/patched-image.js';
import { type CursorSealer, listLimit } from '../../db/cursor.js';
import type { Db } from '../../db/driver.js';
import { getImage, listImages } from '../../db/images.js';
import { deleteImage } from '../../images/delete.js';
import { readImagePatch } from '../../images/focal.js';
import { patchImage } from '../../images/patch.js';
import { toRecord } from '../../images/record.js';
import { uploadImage } from '../../images/upload.js';
import type { Mezzanines } from '../../mezzanine/service.js';
import type { Metrics } from '../../observability/metrics.js';
import type { OriginalStore } from '../../storage/originals.js';
import type { VariantStore } from '../../storage/variant-store.js';
import type { VariantCache } from '../../variants/disk-cache.js';
import type { EagerPresets } from '../../variants/eager.js';
import type { VariantService } from '../../variants/service.js';
import { edgeVariantKeys } from '../../variants/stored-focal.js';
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
  /** EAGER_PRESETS: queued once the upload's 201 is decided (background.ts: never awaited here). */
  eager?: EagerPresets | undefined;
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
      // Queued, not awaited: failures are logged and counted by the background work, never answered.
      // The mezzanine first: the eager presets queued after it may then decode it.
      if (created) deps.mezzanines?.schedule(row.sha256, row);
      if (created && deps.eager?.enabled) void deps.eager.schedule(row.id, row.sha256);
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

  // Sets or clears the stored focal point (images/focal.ts); answers the updated record.
  app.patch('/images/:id', async (c) => {
    const id = c.req.param('id');
    const patch = await readImagePatch(c.req.raw);
    const { row, changed, focalBefore, variants } = await patchImage(deps, c.var.claims.sub, id, patch);
    // Every replica looks the image up again (its id cache holds the old focal point). The
    // origin's caches need no purge: they are keyed by the focal point (stored-focal.ts).
    if (changed) await deps.variantService.forget(id);
    if (changed) c.var.log.info({ image_id: id, focal: row.focal }, 'focal point changed');
    const record = toRecord(row, deps.publicBaseUrl);
    if (!prefersVariants(c.req.header('prefer'))) return c.json(record);
    // For the edge: whether to purge, and the variant cache keys of this image it may hold.
    c.header('preference-applied', PREFER_VARIANTS);
    const body: PatchedImage = {
      image: { ...record },
      changed,
      variants: edgeVariantKeys(id, variants, focalBefore),
    };
    return c.json(body);
  });

  app.delete('/images/:id', async (c) => {
    const id = c.req.param('id');
    const { variants, removedSha256, focal } = await deleteImage(deps, c.var.claims.sub, id);
    // Every replica stops serving the id (and drops its variants when the bytes went).
    await deps.variantService.forget(id, removedSha256);
    if (!prefersRepresentation(c.req.header('prefer'))) return c.body(null, 204);
    // For the edge: the variant cache keys of this image it may hold (see deleted-image.ts).
    c.header('preference-applied', 'return=representation');
    const body: DeletedImage = {
      id,
      variants: edgeVariantKeys(id, variants, focal),
    };
    return c.json(body, 200);
  });

  return app;
}
