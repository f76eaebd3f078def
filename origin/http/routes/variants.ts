/**
 * GET /internal/v1/variants/<canonical options>/<id>?format=<resolved> (and /<id> for defaults).
 * Only the edge calls this (ORIGIN_AUTH_TOKEN). Options must arrive in canonical form: that form is
 * the cache key at both tiers, so anything else is refused rather than silently re-keyed.
 * No conditional requests: the edge asks only on a cache miss, when it needs the bytes, and answers
 * its clients' If-None-Match itself (edge/routes/images.ts).
 */
import { type Context, Hono } from 'hono';
import { ImgedgeError } from '../../../shared/errors.js';
import { CACHE_IMMUTABLE } from '../../../shared/http/cache-control.js';
import { canonicalize, FORMAT_CLASSES, parseOptions } from '../../../shared/options/index.js';
import type { OutputFormat } from '../../../shared/options/types.js';
import { VariantService } from '../../variants/service.js';
import type { OriginEnv } from '../env.js';

export function variantRoutes(service: VariantService) {
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
    const format = resolveFormat(options.f, c.req.query('format'));
    const sha256 = await service.lookup(id);
    const etag = VariantService.etag(sha256, canonical, format);
    const common = {
      etag,
      'cache-control': CACHE_IMMUTABLE,
      'x-content-type-options': 'nosniff',
    };
    const variant = await service.get({ id, options, canonical, format }, sha256);
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

function resolveFormat(f: string | undefined, query: string | undefined): OutputFormat {
  if (f !== undefined && f !== 'auto') {
    if (query !== undefined && query !== f) {
      throw new ImgedgeError('invalid_option', `format=${query} contradicts f=${f}`, {
        extra: { key: 'format' },
      });
    }
    return f as OutputFormat;
  }
  if (query === undefined || !(FORMAT_CLASSES as readonly string[]).includes(query)) {
    throw new ImgedgeError('invalid_option', 'format must be avif, webp or jpeg (the edge resolves f=auto)', {
      extra: { key: 'format', value: query ?? null, allowed: FORMAT_CLASSES },
    });
  }
  return query as OutputFormat;
}
