/**
 * GET /internal/v1/variants/<canonical options>/<id>[?format=<class>] (and /<id> for defaults).
 * Only the edge calls this (ORIGIN_AUTH_TOKEN). Options must arrive in canonical form: that form is
 * the cache key at both tiers, so anything else is refused rather than silently re-keyed. The
 * requested format travels once (shared/options/format.ts): an explicit f in the options, the
 * negotiated class of f=auto as ?format=. No conditional requests: the edge asks only on a cache
 * miss, when it needs the bytes, and answers its clients' If-None-Match itself.
 */
import { type Context, Hono } from 'hono';
import { ImgedgeError } from '../../../shared/errors.js';
import { CACHE_IMMUTABLE } from '../../../shared/http/cache-control.js';
import {
  canonicalize,
  FORMAT_PARAM,
  parseOptions,
  parseRequestedFormat,
} from '../../../shared/options/index.js';
import { VariantService } from '../../variants/service.js';
import type { OriginEnv } from '../env.js';

export function variantRoutes(variantService: VariantService) {
  const app = new Hono<OriginEnv>();

  const handler = async (c: Context<OriginEnv>, canonicalIn: string, id: string) => {
    const started = performance.now();
    const options = parseOptions(canonicalIn);
    const canonical = canonicalize(options);
    if (canonical !== canonicalIn) {
      throw new ImgedgeError('invalid_option', `Options must be canonical: expected "${canonical}"`, {
        extra: { canonical },
      });
    }
    const requested = parseRequestedFormat(options, c.req.query(FORMAT_PARAM));
    const sha256 = await variantService.lookup(id);
    const etag = VariantService.etag(sha256, canonical, requested);
    const common = {
      etag,
      'cache-control': CACHE_IMMUTABLE,
      'x-content-type-options': 'nosniff',
    };
    const variant = await variantService.get({ id, options, canonical, requested }, sha256);
    const total = performance.now() - started;
    const timing = [`cache;desc=${variant.cache}`];
    if (variant.transformMs !== undefined) timing.push(`transform;dur=${variant.transformMs.toFixed(1)}`);
    timing.push(`total;dur=${total.toFixed(1)}`);
    return new Response(c.req.method === 'HEAD' ? null : variant.data, {
      status: 200,
      headers: {
        ...common,
        'content-type': variant.contentType,
        'content-length': String(variant.data.byteLength),
        'server-timing': timing.join(', '),
        'x-variant-cache': variant.cache === 'hit' ? 'HIT' : 'MISS',
      },
    });
  };

  app.get('/internal/v1/variants/:options/:id', (c) => handler(c, c.req.param('options'), c.req.param('id')));
  app.get('/internal/v1/variants/:id', (c) => handler(c, '', c.req.param('id')));
  return app;
}
