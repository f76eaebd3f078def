import { Hono } from 'hono';
import { z } from 'zod';
import { ImgedgeError } from '../../../shared/errors.js';
import type { Db } from '../../db/driver.js';
import { getImage, listImages } from '../../db/images.js';
import type { CursorSealer } from '../../images/cursor-seal.js';
import { deleteImage } from '../../images/delete.js';
import { toRecord } from '../../images/record.js';
import { uploadImage } from '../../images/upload.js';
import type { Metrics } from '../../observability/metrics.js';
import type { OriginalStore } from '../../storage/originals.js';
import type { VariantCache } from '../../variants/disk-cache.js';
import type { VariantService } from '../../variants/service.js';
import type { WorkPool } from '../../variants/work-pool.js';
import type { OriginEnv } from '../env.js';

export interface ImageRouteDeps {
  db: Db;
  originals: OriginalStore;
  variantCache: VariantCache;
  metrics: Metrics;
  maxFileSize: number;
  maxInputPixels: number;
  publicBaseUrl: string | undefined;
  cursors: CursorSealer;
  pool: WorkPool;
  variantService: VariantService;
}

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

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
      return c.json(toRecord(row, deps.publicBaseUrl), created ? 201 : 200);
    } catch (err) {
      deps.metrics.uploads.inc({ result: 'rejected' });
      throw err;
    }
  });

  app.get('/images', async (c) => {
    const parsed = listQuery.safeParse(c.req.query());
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ImgedgeError('invalid_request', `${issue.path.join('.')}: ${issue.message}`, {
        extra: { parameter: issue.path.join('.') },
      });
    }
    const owner = c.var.claims.sub;
    const { limit, cursor } = parsed.data;
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
    await deleteImage({ ...deps, variants: deps.variantCache }, c.var.claims.sub, id);
    deps.variantService.forget(id);
    return c.body(null, 204);
  });

  return app;
}
