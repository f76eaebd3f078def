/**
 * /api/v1/* — the token endpoint is proxied (rate-limited per IP, failing closed); every other
 * route needs a valid JWT, is rate-limited per subject (reads fail open, writes closed), and is
 * streamed to the origin without buffering. Uploads over MAX_FILE_SIZE stop at the edge.
 */
import { type Context, Hono } from 'hono';
import { scopeForMethod } from '../../shared/auth/scopes.js';
import { payloadTooLarge } from '../../shared/errors.js';
import { type DeletedImage, PREFER_REPRESENTATION } from '../../shared/http/deleted-image.js';
import { mountAllowedMethods } from '../../shared/http/methods.js';
import { type PatchedImage, PREFER_VARIANTS, prefersVariants } from '../../shared/http/patched-image.js';
import { formatSourceRef, parseSourceRef, SOURCE_PREFIX } from '../../shared/sources/index.js';
import { purgeImage, purgeSource } from '../cache/purge.js';
import { defaultCache, evictVariants, notFoundCacheKey } from '../cache/variant-cache.js';
import type { EdgeEnv } from '../env.js';
import { log } from '../log.js';
import { jwtAuth } from '../middleware/jwt-auth.js';
import { rateLimit } from '../middleware/rate-limit.js';
import { passThrough } from '../origin/fetch-origin.js';
import { originPool } from '../origin/pool.js';
import { limitersFor } from '../ratelimit/limiters.js';

const FORWARD_REQUEST_HEADERS = [
  'authorization',
  'content-type',
  'content-length',
  'accept',
  'if-none-match',
];
const isRead = (method: string) => method === 'GET' || method === 'HEAD';

export function apiRoutes(prefix: string) {
  const app = new Hono<EdgeEnv>();
  // A known route asked with another method: 405 with Allow, before authentication.
  mountAllowedMethods(app, prefix);

  app.post(
    `${prefix}/oauth/token`,
    rateLimit({
      key: (c) => c.req.header('cf-connecting-ip'),
      policy: (c) => {
        const config = (c as Context<EdgeEnv>).get('config');
        return {
          name: 'token',
          limiter: limitersFor(c as Context<EdgeEnv>).token,
          failOpen: false,
          timeoutMs: config.limits.timeoutMs,
        };
      },
    }),
    (c) => proxy(c, false),
  );

  app.use(`${prefix}/*`, jwtAuth({ scope: scopeForMethod }));
  app.use(
    `${prefix}/*`,
    rateLimit({
      key: (c) => (c as Context<EdgeEnv>).get('claims').sub,
      policy: (c) => {
        const config = (c as Context<EdgeEnv>).get('config');
        return {
          name: 'api',
          limiter: limitersFor(c as Context<EdgeEnv>).api,
          failOpen: isRead(c.req.method),
          timeoutMs: config.limits.timeoutMs,
        };
      },
    }),
  );
  app.post(`${prefix}/images`, (c) => proxy(c, true));
  app.patch(`${prefix}/images/:id`, async (c) => {
    // The origin then says whether the image's variants changed (its focal point moved) and which
    // keys this location may hold for them (PatchedImage) around the record.
    const res = await proxy(c, false, { prefer: PREFER_VARIANTS });
    if (res.status !== 200 || !prefersVariants(res.headers.get('preference-applied'))) return res;
    const id = c.req.param('id');
    const body = (await res.json()) as PatchedImage;
    if (body.changed) {
      await evictLocally(c, id, body.variants);
      // Every other colo: the purge API (in production).
      c.executionCtx.waitUntil(purgeImage(c, id, 'focal point changed'));
    }
    // The client gets the documented answer: the image record.
    return c.json(body.image, 200, { 'cache-control': 'no-store' });
  });
  app.delete(`${prefix}/images/:id`, async (c) => {
    // The origin then lists the variants it made (200 + DeletedImage) instead of answering 204.
    const res = await proxy(c, false, { prefer: PREFER_REPRESENTATION });
    if (res.status !== 200 && res.status !== 204) return res;
    const id = c.req.param('id');
    if (res.status === 200) await evictLocally(c, id, await deletedVariants(c, res));
    // Every other colo: the purge API (in production).
    c.executionCtx.waitUntil(purgeImage(c, id));
    // The client gets the documented 204.
    return c.body(null, 204, { 'cache-control': 'no-store' });
  });
  app.delete(`${prefix}/sources/*`, async (c) => {
    // Refused here as at the origin (400) when the path has no canonical form.
    const ref = parseSourceRef(
      `${SOURCE_PREFIX}${new URL(c.req.url).pathname.slice(`${prefix}/sources/`.length)}`,
    );
    const res = await proxy(c, false, { prefer: PREFER_REPRESENTATION });
    if (res.status !== 200 && res.status !== 204) return res;
    const id = formatSourceRef(ref);
    if (res.status === 200) await evictLocally(c, id, await deletedVariants(c, res));
    // …and the brief 404 this location may hold for it (keyed by the reference, as for an id).
    await defaultCache()
      .delete(notFoundCacheKey(c.req.url, id))
      .catch(() => false);
    c.executionCtx.waitUntil(purgeSource(c, ref));
    return c.body(null, 204, { 'cache-control': 'no-store' });
  });
  app.all(`${prefix}/*`, (c) => proxy(c, false));
  return app;
}

/** The variants a DELETE's answer lists (DeletedImage); none (logged) when it cannot be read. */
async function deletedVariants(c: Context<EdgeEnv>, res: Response): Promise<DeletedImage['variants']> {
  const body = (await res.json().catch(() => null)) as DeletedImage | null;
  if (Array.isArray(body?.variants)) return body.variants;
  log(c, 'error', { msg: 'unreadable variant list from the origin', path: c.req.path });
  return [];
}

/**
 * Drop a deleted (or re-focused) image's variants from this location's cache, before the client
 * hears the answer.
 */
async function evictLocally(
  c: Context<EdgeEnv>,
  id: string,
  variants: DeletedImage['variants'],
): Promise<void> {
  try {
    await evictVariants(c.req.url, variants);
  } catch (err) {
    // The change is made either way; the cached variants then expire or go with the purge.
    log(c, 'error', { msg: 'local cache eviction failed', image: id, error: String(err) });
  }
}

async function proxy(
  c: Context<EdgeEnv>,
  upload: boolean,
  extraHeaders: Record<string, string> = {},
): Promise<Response> {
  const config = c.get('config');
  let body = c.req.raw.body;
  let cap: ByteCap | undefined;
  if (upload) {
    const declared = Number(c.req.header('content-length') ?? Number.NaN);
    if (Number.isFinite(declared) && declared > config.maxFileSize) {
      throw payloadTooLarge(config.maxFileSize);
    }
    // No (trustworthy) length: count while streaming and cut the upload off past the cap.
    if (body && !Number.isFinite(declared)) {
      cap = byteCap(config.maxFileSize);
      body = body.pipeThrough(cap.stream);
    }
  }
  const headers = new Headers();
  for (const name of FORWARD_REQUEST_HEADERS) {
    const value = c.req.header(name);
    if (value !== undefined) headers.set(name, value);
  }
  for (const [name, value] of Object.entries(extraHeaders)) headers.set(name, value);
  const url = new URL(c.req.url);
  const init: RequestInit = { method: c.req.method, headers };
  if (body && !isRead(c.req.method)) init.body = body;
  let res: Response;
  try {
    // Only GET/HEAD are ever retried on another origin; an upload's body is sent once.
    res = await originPool(config).fetch({
      path: `${url.pathname}${url.search}`,
      init,
      deadline: upload ? 'upload' : 'api',
      requestId: c.get('requestId'),
      clientFault: () => cap?.exceeded() ?? false,
    });
  } catch (err) {
    // The cap aborted the upload mid-stream: that is the client's 413, not an origin failure.
    if (cap?.exceeded()) throw payloadTooLarge(config.maxFileSize);
    throw err;
  }
  if (cap?.exceeded()) {
    // The origin answered (e.g. 4xx on the truncated stream) after the cap cut the body off.
    await res.body?.cancel();
    throw payloadTooLarge(config.maxFileSize);
  }
  return passThrough(res, { 'cache-control': res.headers.get('cache-control') ?? 'no-store' });
}

interface ByteCap {
  stream: TransformStream<Uint8Array, Uint8Array>;
  /** True once more than `limit` bytes went by (the stream is then errored). */
  exceeded(): boolean;
}

function byteCap(limit: number): ByteCap {
  let seen = 0;
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > limit) controller.error(payloadTooLarge(limit));
      else controller.enqueue(chunk);
    },
  });
  return { stream, exceeded: () => seen > limit };
}
