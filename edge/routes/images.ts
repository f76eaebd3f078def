/**
 * GET/HEAD /img/… — parse and canonicalize (shared/), enforce the signing policy, negotiate
 * f=auto, then Cache API → (miss) rate limit → origin → cache. Only 200s and brief 404s are
 * cached; errors never are.
 */
import { type Context, Hono } from 'hono';
import { ImgedgeError, PROBLEM_CONTENT_TYPE } from '../../shared/errors.js';
import { CACHE_IMMUTABLE } from '../../shared/http/cache-control.js';
import { etagMatches } from '../../shared/http/etag.js';
import {
  formatLabel,
  formatQuery,
  type ImageRequest,
  parseImageRequest,
  type RequestedFormat,
  requestFormat,
} from '../../shared/options/index.js';
import { verifyPath } from '../../shared/signature.js';
import { cacheTagFor } from '../cache/purge.js';
import { defaultCache, notFoundCacheKey, variantCacheKey } from '../cache/variant-cache.js';
import type { EdgeConfig } from '../config.js';
import type { EdgeEnv } from '../env.js';
import { enforceLimit } from '../middleware/rate-limit.js';
import { originPool } from '../origin/pool.js';
import { limitersFor } from '../ratelimit/limiters.js';

/** The per-request facts the image handler works out before touching any cache. */
interface Resolved {
  request: ImageRequest;
  format: RequestedFormat;
}

export function imageRoutes() {
  const app = new Hono<EdgeEnv>();

  app.get('/img/*', async (c) => {
    const config = c.get('config');
    const resolved = await resolve(c, config);
    const { request, format } = resolved;
    const negotiated = format.kind === 'auto';
    const cache = defaultCache();
    const key = variantCacheKey(c.req.url, request.canonicalPath, formatLabel(format));

    const hit = (await cache.match(key)) ?? (await cache.match(notFoundCacheKey(c.req.url, request.id)));
    if (hit) {
      c.set('cacheStatus', 'HIT');
      return await finish(c, hit, 'HIT', negotiated);
    }

    c.set('cacheStatus', 'MISS');
    // Only misses spend the client's budget: hits cost the origin nothing. Only CF-Connecting-IP
    // identifies the client (X-Forwarded-For is client-controlled).
    const ip = c.req.header('cf-connecting-ip');
    const limitHeaders = ip
      ? await enforceLimit(
          c,
          {
            name: 'image',
            limiter: limitersFor(c).image,
            failOpen: true,
            timeoutMs: config.limits.timeoutMs,
          },
          ip,
        )
      : {};
    const out = await finish(c, await fromOrigin(c, config, resolved, key), 'MISS', negotiated);
    for (const [name, value] of Object.entries(limitHeaders)) out.headers.set(name, value);
    return out;
  });

  return app;
}

async function resolve(c: Context<EdgeEnv>, config: EdgeConfig): Promise<Resolved> {
  const url = new URL(c.req.url);
  const request = parseImageRequest(url.pathname.slice('/img'.length), url.searchParams, config.presets);
  await enforceSigningPolicy(config, request);
  return { request, format: requestFormat(request.options, c.req.header('accept')) };
}

/**
 * SIGNED_URLS: `off` never asks; `presets-free` lets a preset or the defaults (plus at most `f`)
 * through unsigned; `required` always asks. A refusal names the text to sign (`canonical`), which
 * anyone can work out from the URL: it reveals no key and no expected signature.
 */
async function enforceSigningPolicy(config: EdgeConfig, request: ImageRequest): Promise<void> {
  if (config.signedUrls === 'off') return;
  if (config.signedUrls === 'presets-free' && request.presetsFree && request.signature === undefined) return;
  const extra = { canonical: request.signedPath };
  if (request.signature === undefined) {
    throw new ImgedgeError(
      'invalid_signature',
      `This URL must be signed (?sig=…) over ${request.signedPath}`,
      {
        extra,
      },
    );
  }
  if (!(await verifyPath(request.signedPath, request.signature, config.signingKeys))) {
    throw new ImgedgeError('invalid_signature', `The URL signature does not match ${request.signedPath}`, {
      extra,
    });
  }
}

async function fromOrigin(
  c: Context<EdgeEnv>,
  config: EdgeConfig,
  r: Resolved,
  key: Request,
): Promise<Response> {
  const path = r.request.canonical === '' ? r.request.id : `${r.request.canonical}/${r.request.id}`;
  // Only misses get here: a cache hit never touches the origins or their circuits.
  const res = await originPool(config).fetch({
    path: `/internal/v1/variants/${path}${formatQuery(r.format)}`,
    init: { headers: { authorization: `Bearer ${config.originAuthToken}` } },
    deadline: 'variant',
    requestId: c.get('requestId'),
  });
  if (res.status === 200) {
    const headers = new Headers();
    for (const h of ['content-type', 'content-length', 'etag']) {
      const v = res.headers.get(h);
      if (v !== null) headers.set(h, v);
    }
    headers.set('cache-control', CACHE_IMMUTABLE);
    headers.set('cache-tag', cacheTagFor(r.request.id));
    const stored = new Response(res.body, { status: 200, headers });
    c.executionCtx.waitUntil(defaultCache().put(key, stored.clone()));
    return stored;
  }
  if (res.status === 404 && config.notFoundTtl > 0) {
    const body = await res.text();
    const headers = new Headers({
      'content-type': res.headers.get('content-type') ?? 'application/problem+json',
      'cache-control': `public, max-age=${config.notFoundTtl}`,
      'cache-tag': cacheTagFor(r.request.id),
    });
    const stored = new Response(body, { status: 404, headers });
    c.executionCtx.waitUntil(defaultCache().put(notFoundCacheKey(c.req.url, r.request.id), stored.clone()));
    return stored;
  }
  // Everything else (400, 503 with Retry-After, 5xx) goes to the client as is and is never cached.
  const headers = new Headers({ 'cache-control': 'no-store' });
  for (const h of ['content-type', 'retry-after']) {
    const v = res.headers.get(h);
    if (v !== null) headers.set(h, v);
  }
  return new Response(res.body, { status: res.status, headers });
}

async function finish(
  c: Context<EdgeEnv>,
  res: Response,
  cacheStatus: 'HIT' | 'MISS',
  negotiated: boolean,
): Promise<Response> {
  const headers = new Headers(res.headers);
  // The tag is for purging the cache, not for clients.
  headers.delete('cache-tag');
  headers.set('x-cache', cacheStatus);
  if (negotiated && res.status === 200) headers.set('vary', 'Accept');
  if (res.status === 200 && etagMatches(c.req.header('if-none-match'), res.headers.get('etag'))) {
    headers.delete('content-length');
    headers.delete('content-type');
    return new Response(null, { status: 304, headers });
  }
  const body = isProblem(res) ? await publicProblem(res, c.req.path) : res.body;
  if (body !== res.body) headers.delete('content-length');
  return new Response(c.req.method === 'HEAD' ? null : body, { status: res.status, headers });
}

function isProblem(res: Response): boolean {
  return res.status >= 400 && (res.headers.get('content-type') ?? '').startsWith(PROBLEM_CONTENT_TYPE);
}

/**
 * An origin problem document as the client must see it: its `instance` is the public URL path the
 * client asked for, never the origin's internal route (a cached 404 serves every URL of its id).
 */
async function publicProblem(res: Response, path: string): Promise<string> {
  const text = await res.text();
  try {
    const doc = JSON.parse(text) as unknown;
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return text;
    return JSON.stringify({ ...doc, instance: path });
  } catch {
    return text;
  }
}
