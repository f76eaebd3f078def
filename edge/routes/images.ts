/**
 * GET/HEAD /img/… and /cdn-cgi/image/… — parse and canonicalize (shared/), enforce the signing
 * policy, negotiate f=auto, then Cache API → (miss) rate limit → origin → cache. Both URL forms
 * reach one request type and one cache: `/cdn-cgi/image/width=800/a.jpg` is
 * `/img/w=800/@default/a.jpg`. Only 200s and brief 404s are cached; errors never are.
 *
 * Uploaded images (`<id>`) are immutable; a remote image (`@<source>/<path>`) can change behind its
 * URL, so its variants are stored with the origin's Cache-Control (the cached source's freshness)
 * and tagged with sourceCacheTag for purging.
 */
import { type Context, Hono } from 'hono';
import { PROBLEM_CONTENT_TYPE } from '../../shared/errors.js';
import { CACHE_IMMUTABLE, sharedMaxAge } from '../../shared/http/cache-control.js';
import { etagMatches } from '../../shared/http/etag.js';
import {
  ACCEPT_CH,
  CLOUDFLARE_PREFIX,
  formatLabel,
  formatQuery,
  type ImageRequest,
  parseCloudflareRequest,
  parseImageRequest,
  type RequestedFormat,
  requestFormat,
  resolveClientHints,
  targetOf,
  usesClientHints,
  withOptions,
} from '../../shared/options/index.js';
import { verifySignedRequest } from '../../shared/signed-url.js';
import { sourceCacheTag, sourceUrl } from '../../shared/sources/index.js';
import { cacheTagFor } from '../cache/purge.js';
import { defaultCache, notFoundCacheKey, variantCacheKey } from '../cache/variant-cache.js';
import type { EdgeConfig, SignedUrlPolicy } from '../config.js';
import type { EdgeEnv } from '../env.js';
import { enforceLimit } from '../middleware/rate-limit.js';
import { originPool } from '../origin/pool.js';
import { limitersFor } from '../ratelimit/limiters.js';

/** The per-request facts the image handler works out before touching any cache. */
interface Resolved {
  /** With client hints resolved: its canonicalPath is the cache key and the origin's request. */
  request: ImageRequest;
  format: RequestedFormat;
  /** The request headers the answer depends on (Accept for f=auto/json, the hints used). */
  vary: string[];
  /** Whether the URL asks for client hints (w=auto, dpr=auto): the answer carries Accept-CH. */
  hints: boolean;
}

/** A URL form: how it reads a request, and the signing policy that applies to it. */
type Reader = (config: EdgeConfig, url: URL) => { request: ImageRequest; policy: SignedUrlPolicy };

const imgedgeForm: Reader = (config, url) => ({
  request: parseImageRequest(
    url.pathname.slice('/img'.length),
    url.searchParams,
    config.presets,
    config.sources,
    config.watermarks,
  ),
  policy: config.signedUrls,
});

const cloudflareForm: Reader = (config, url) => ({
  request: parseCloudflareRequest(
    url.pathname.slice(CLOUDFLARE_PREFIX.length),
    url.searchParams,
    config.sources,
  ),
  policy: config.cdnCgiSignedUrls,
});

export function imageRoutes() {
  const app = new Hono<EdgeEnv>();
  app.get('/img/*', (c) => serveImage(c, imgedgeForm));
  app.get(`${CLOUDFLARE_PREFIX}*`, (c) => serveImage(c, cloudflareForm));
  return app;
}

async function serveImage(c: Context<EdgeEnv>, read: Reader): Promise<Response> {
  const config = c.get('config');
  const resolved = await resolve(c, config, read);
  const { request, format } = resolved;
  const cache = defaultCache();
  const key = variantCacheKey(c.req.url, request.canonicalPath, formatLabel(format));

  const hit = (await cache.match(key)) ?? (await cache.match(notFoundCacheKey(c.req.url, targetOf(request))));
  if (hit) {
    c.set('cacheStatus', 'HIT');
    return await finish(c, hit, 'HIT', resolved);
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
  const out = await finish(c, await fromOrigin(c, config, resolved, key), 'MISS', resolved);
  for (const [name, value] of Object.entries(limitHeaders)) out.headers.set(name, value);
  return out;
}

async function resolve(c: Context<EdgeEnv>, config: EdgeConfig, read: Reader): Promise<Resolved> {
  const { request: given, policy } = read(config, new URL(c.req.url));
  // The signature covers the URL as written (`w=auto`); the hints resolve after it.
  await enforceSigningPolicy(policy, config.signingKeys, given);
  const hints = resolveClientHints(given.options, (name) => c.req.header(name));
  const request = hints.vary.length === 0 ? given : withOptions(given, hints.options);
  const format = requestFormat(request.options, c.req.header('accept'));
  const vary = [...(format.kind === 'auto' ? ['Accept'] : []), ...hints.vary];
  return { request, format, vary, hints: usesClientHints(given.options) };
}

/**
 * SIGNED_URLS (CDN_CGI_SIGNED_URLS for /cdn-cgi/image/): `off` never asks; `presets-free` lets a
 * preset or the defaults (plus at most `f`) through unsigned; `required` always asks. The check
 * (signature over signedPath and `exp`, then the expiry) is shared/signed-url.ts; it runs before
 * the cache, so an expired URL is refused even when its variant is cached.
 */
async function enforceSigningPolicy(
  policy: SignedUrlPolicy,
  keys: readonly string[],
  request: ImageRequest,
): Promise<void> {
  if (policy === 'off') return;
  if (policy === 'presets-free' && request.presetsFree && request.signature === undefined) return;
  await verifySignedRequest(request, keys);
}

/** The Cache-Tag of everything stored for this request's image. */
function cacheTagOf(request: ImageRequest): string {
  return request.source === undefined ? cacheTagFor(request.id) : sourceCacheTag(request.source);
}

/**
 * The Cache-Control a 200 is stored with: immutable for an uploaded image; for a remote image the
 * origin's freshness (`public, max-age=N`), or undefined (not stored) when it gave none.
 */
function storedCacheControl(request: ImageRequest, origin: Response): string | undefined {
  if (request.source === undefined) return CACHE_IMMUTABLE;
  const maxAge = sharedMaxAge(origin.headers.get('cache-control'));
  return maxAge === undefined ? undefined : `public, max-age=${maxAge}`;
}

/**
 * Cloudflare's onerror=redirect: when the origin cannot make the variant (a failed fetch, a source
 * that is no image, an overload, a timeout), the client is sent to the source image itself. A
 * missing source (404) is answered as such: the redirect would only find the same 404.
 */
function redirectToSource(config: EdgeConfig, request: ImageRequest): Response | undefined {
  if (request.onerror !== 'redirect' || request.source === undefined) return undefined;
  return new Response(null, {
    status: 302,
    headers: { location: sourceUrl(config.sources, request.source), 'cache-control': 'no-store' },
  });
}

async function fromOrigin(
  c: Context<EdgeEnv>,
  config: EdgeConfig,
  r: Resolved,
  key: Request,
): Promise<Response> {
  // The internal route is the canonical path with /img replaced (ids and @<source>/<path> alike).
  const path = r.request.canonicalPath.slice('/img'.length);
  let res: Response;
  try {
    // Only misses get here: a cache hit never touches the origins or their circuits.
    res = await originPool(config).fetch({
      path: `/internal/v1/variants${path}${formatQuery(r.format)}`,
      init: { headers: { authorization: `Bearer ${config.originAuthToken}` } },
      deadline: 'variant',
      requestId: c.get('requestId'),
    });
  } catch (err) {
    const redirect = redirectToSource(config, r.request);
    if (redirect) return redirect;
    throw err;
  }
  if (res.status === 200) {
    const headers = new Headers();
    for (const h of ['content-type', 'content-length', 'etag']) {
      const v = res.headers.get(h);
      if (v !== null) headers.set(h, v);
    }
    const cacheControl = storedCacheControl(r.request, res);
    headers.set('cache-control', cacheControl ?? 'no-store');
    headers.set('cache-tag', cacheTagOf(r.request));
    const stored = new Response(res.body, { status: 200, headers });
    if (cacheControl !== undefined) c.executionCtx.waitUntil(defaultCache().put(key, stored.clone()));
    // The origin's Server-Timing (its variant cache, transform and total durations) describes this
    // miss only: the client sees it (the console shows the transform time), the cached copy does not.
    const timing = res.headers.get('server-timing');
    if (timing === null) return stored;
    const answered = new Response(stored.body, stored);
    answered.headers.set('server-timing', timing);
    return answered;
  }
  if (res.status === 404 && config.notFoundTtl > 0) {
    const body = await res.text();
    const headers = new Headers({
      'content-type': res.headers.get('content-type') ?? 'application/problem+json',
      'cache-control': `public, max-age=${config.notFoundTtl}`,
      'cache-tag': cacheTagOf(r.request),
    });
    const stored = new Response(body, { status: 404, headers });
    c.executionCtx.waitUntil(
      defaultCache().put(notFoundCacheKey(c.req.url, targetOf(r.request)), stored.clone()),
    );
    return stored;
  }
  if (res.status !== 404) {
    const redirect = redirectToSource(config, r.request);
    if (redirect) {
      await res.body?.cancel();
      return redirect;
    }
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
  resolved: Resolved,
): Promise<Response> {
  const headers = new Headers(res.headers);
  // The tag is for purging the cache, not for clients.
  headers.delete('cache-tag');
  headers.set('x-cache', cacheStatus);
  if (res.status === 200 && resolved.vary.length > 0) headers.set('vary', resolved.vary.join(', '));
  if (resolved.hints) headers.set('accept-ch', ACCEPT_CH);
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
