/**
 * GET /internal/v1/variants/<canonical options>/<id>[?format=<class>] (and /<id> for defaults), and
 * the same for a remote source image: /internal/v1/variants[/<canonical options>]/@<source>/<path>.
 * Only the edge calls this (ORIGIN_AUTH_TOKEN). Options — and a source path — must arrive in
 * canonical form: that form is the cache key at both tiers, so anything else is refused rather than
 * silently re-keyed. The requested format travels once (shared/options/format.ts): an explicit f in
 * the options, the negotiated class of f=auto as ?format=. No conditional requests: the edge asks
 * only on a cache miss, when it needs the bytes, and answers its clients' If-None-Match itself.
 *
 * `f=json` is a variant too (application/json, variants/info.ts), keyed and cached like f=auto.
 *
 * An uploaded image's variants are immutable (its id names its bytes). A source's are not — the
 * bytes behind a URL can change — so they are answered with `max-age` = the cached source's
 * remaining freshness (sources/source-cache.ts); their ETag changes with the bytes' sha256.
 */
import { type Context, Hono } from 'hono';
import { ImgedgeError, isImgedgeError } from '../../../shared/errors.js';
import { CACHE_IMMUTABLE } from '../../../shared/http/cache-control.js';
import { assertResolved } from '../../../shared/options/client-hints.js';
import {
  canonicalize,
  FORMAT_PARAM,
  parseOptions,
  parseRequestedFormat,
} from '../../../shared/options/index.js';
import {
  formatSourceRef,
  parseSourceRef,
  SOURCE_PREFIX,
  type SourceRef,
} from '../../../shared/sources/index.js';
import type { SourceCache } from '../../sources/source-cache.js';
import { type Variant, VariantService } from '../../variants/service.js';
import type { OriginEnv } from '../env.js';

const PREFIX = '/internal/v1/variants/';

/** What a variant path names: an uploaded image by id, or a remote source image. */
type Target = { kind: 'image'; id: string } | { kind: 'source'; ref: SourceRef };

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ImgedgeError('not_found', 'No such image');
  }
}

/** `rest`: the raw path after PREFIX. The options segment ('' for none) and the target. */
function parseVariantPath(rest: string): { canonicalIn: string; target: Target } {
  const segments = rest.split('/');
  const at = segments.findIndex((s) => s.startsWith(SOURCE_PREFIX));
  if (at === 0 || at === 1) {
    const refText = segments.slice(at).join('/');
    const ref = parseSourceRef(refText);
    const canonical = formatSourceRef(ref);
    if (canonical !== refText) {
      throw new ImgedgeError('invalid_request', `Source paths must be canonical: expected "${canonical}"`, {
        extra: { canonical },
      });
    }
    return { canonicalIn: at === 0 ? '' : decoded(segments[0]!), target: { kind: 'source', ref } };
  }
  if (segments.length === 1 && segments[0] !== '') {
    return { canonicalIn: '', target: { kind: 'image', id: decoded(segments[0]!) } };
  }
  if (segments.length === 2 && segments[1] !== '') {
    return { canonicalIn: decoded(segments[0]!), target: { kind: 'image', id: decoded(segments[1]!) } };
  }
  throw new ImgedgeError('not_found', 'No such image');
}

export function variantRoutes(variantService: VariantService, sourceCache: SourceCache) {
  const app = new Hono<OriginEnv>();

  const handler = async (c: Context<OriginEnv>) => {
    const started = performance.now();
    const { canonicalIn, target } = parseVariantPath(new URL(c.req.url).pathname.slice(PREFIX.length));
    const options = parseOptions(canonicalIn);
    const canonical = canonicalize(options);
    if (canonical !== canonicalIn) {
      throw new ImgedgeError('invalid_option', `Options must be canonical: expected "${canonical}"`, {
        extra: { canonical },
      });
    }
    // w=auto / dpr=auto are resolved at the edge (client hints); here they are a 400.
    assertResolved(options);
    const requested = parseRequestedFormat(options, c.req.query(FORMAT_PARAM));
    const id = target.kind === 'image' ? target.id : formatSourceRef(target.ref);
    const req = { id, options, canonical, requested };

    let sha256: string;
    let cacheControl: string;
    let variant: Variant;
    if (target.kind === 'image') {
      sha256 = await variantService.lookup(target.id);
      cacheControl = CACHE_IMMUTABLE;
      variant = await variantService.get(req, sha256);
    } else {
      let source = await sourceCache.resolve(target.ref, c.var.log);
      try {
        variant = await variantService.get(req, source.sha256);
      } catch (err) {
        if (!isImgedgeError(err) || err.code !== 'not_found') throw err;
        // The bytes went between the lookup and the read: the source changed or was purged
        // through another request (look again), or they are missing (fetch them again). Once.
        const again = await sourceCache.resolve(target.ref, c.var.log);
        source =
          again.sha256 === source.sha256
            ? await sourceCache.resolve(target.ref, c.var.log, { reload: true })
            : again;
        variant = await variantService.get(req, source.sha256);
      }
      sha256 = source.sha256;
      cacheControl = `public, max-age=${source.maxAgeSeconds}`;
    }

    const total = performance.now() - started;
    const timing = [`cache;desc=${variant.cache}`];
    if (variant.transformMs !== undefined) timing.push(`transform;dur=${variant.transformMs.toFixed(1)}`);
    timing.push(`total;dur=${total.toFixed(1)}`);
    return new Response(c.req.method === 'HEAD' ? null : variant.data, {
      status: 200,
      headers: {
        etag: VariantService.etag(sha256, canonical, requested, variant.pipeline),
        'cache-control': cacheControl,
        'x-content-type-options': 'nosniff',
        'content-type': variant.contentType,
        'content-length': String(variant.data.byteLength),
        'server-timing': timing.join(', '),
        'x-variant-cache': variant.cache === 'hit' ? 'HIT' : 'MISS',
      },
    });
  };

  // One handler; the routes only name the forms (the `route` label of the HTTP metrics). Source
  // forms first: `@shop/a.jpg` would also match `:options/:id`.
  app.get(`${PREFIX}:source{@[^/]+}/*`, handler);
  app.get(`${PREFIX}:options/:source{@[^/]+}/*`, handler);
  app.get(`${PREFIX}:options/:id`, handler);
  app.get(`${PREFIX}:id`, handler);
  return app;
}
