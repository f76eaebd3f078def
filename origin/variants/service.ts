/**
 * Serving one variant: look the image up, then disk cache → (single-flight per variant key →
 * bounded pool → sharp pipeline) → disk cache. N identical concurrent misses run the pipeline once.
 */
import { createHash } from 'node:crypto';
import { ImgedgeError, isImgedgeError } from '../../shared/errors.js';
import { formatLabel, type RequestedFormat } from '../../shared/options/format.js';
import type { ImageOptions } from '../../shared/options/types.js';
import type { Db } from '../db/driver.js';
import { getImage } from '../db/images.js';
import type { Metrics } from '../observability/metrics.js';
import type { OriginalStore } from '../storage/originals.js';
import { CONTENT_TYPES, transform } from '../transform/index.js';
import { PIPELINE_VERSION, type VariantCache } from './disk-cache.js';
import { ImageIdCache } from './id-cache.js';
import { SingleFlight } from './single-flight.js';
import type { WorkPool } from './work-pool.js';

export interface VariantRequest {
  id: string;
  options: ImageOptions;
  canonical: string;
  /** The requested format, as the edge decided it (parseRequestedFormat). */
  requested: RequestedFormat;
}

export interface Variant {
  data: Buffer;
  contentType: string;
  cache: 'hit' | 'miss' | 'shared';
  transformMs: number | undefined;
}

export interface VariantServiceDeps {
  db: Db;
  originals: OriginalStore;
  variantCache: VariantCache;
  pool: WorkPool;
  metrics: Metrics;
  maxInputPixels: number;
  timeoutMs: number;
}

export class VariantService {
  private readonly flights = new SingleFlight<{ data: Buffer; format: string; ms: number }>();

  private readonly ids = new ImageIdCache();

  constructor(private readonly deps: VariantServiceDeps) {}

  /** Strong validator for a variant, known before any bytes are produced. */
  static etag(sha256: string, canonical: string, requested: RequestedFormat): string {
    const h = createHash('sha256')
      .update(`${PIPELINE_VERSION}\n${sha256}\n${canonical}\n${formatLabel(requested)}`)
      .digest('base64url');
    return `"${h.slice(0, 27)}"`;
  }

  /** The sha256 of a live image's original (briefly cached in memory, see id-cache.ts). */
  async lookup(id: string): Promise<string> {
    const cached = this.ids.get(id);
    if (cached) return cached;
    const image = await getImage(this.deps.db, id);
    if (!image) throw new ImgedgeError('not_found', 'No such image');
    this.ids.set(id, image.sha256);
    return image.sha256;
  }

  /** The image was deleted: stop mapping its id here at once. */
  forget(id: string): void {
    this.ids.forget(id);
  }

  async get(req: VariantRequest, sha256: string): Promise<Variant> {
    const label = formatLabel(req.requested);
    const cached = await this.deps.variantCache.get(sha256, req.canonical, label);
    if (cached) {
      return {
        data: cached.data,
        contentType: contentType(cached.format),
        cache: 'hit',
        transformMs: undefined,
      };
    }
    const key = `${sha256}/${req.canonical}/${label}`;
    const { promise, shared } = this.flights.do(key, () => this.produce(req, sha256));
    const made = await promise;
    return {
      data: made.data,
      contentType: contentType(made.format),
      cache: shared ? 'shared' : 'miss',
      transformMs: made.ms,
    };
  }

  /** The original's bytes; gone (deleted meanwhile, e.g. through another replica) is a 404. */
  private async readOriginal(sha256: string): Promise<Buffer> {
    const bytes = await this.deps.originals.read(sha256);
    if (!bytes) throw new ImgedgeError('not_found', 'No such image');
    return bytes;
  }

  private async produce(req: VariantRequest, sha256: string) {
    const { metrics } = this.deps;
    return this.deps.pool
      .run(async () => {
        const started = performance.now();
        // Transforms are counted and timed by the requested format, whether they succeed or fail.
        const label = formatLabel(req.requested);
        try {
          const result = await transform({
            // Read the original once; the header read and the decode both work from this buffer.
            input: await this.readOriginal(sha256),
            options: req.options,
            ...(req.requested.kind === 'auto' ? { autoClass: req.requested.class } : {}),
            limits: { maxInputPixels: this.deps.maxInputPixels, timeoutMs: this.deps.timeoutMs },
          });
          const ms = performance.now() - started;
          metrics.transforms.inc({ format: label, result: 'ok' });
          metrics.transformDuration.observe({ format: label }, ms / 1000);
          await this.deps.variantCache.put(sha256, req.canonical, label, result.data, result.format);
          return { data: result.data, format: result.format, ms };
        } catch (err) {
          metrics.transforms.inc({ format: label, result: 'error' });
          throw err;
        }
      })
      .catch((err: unknown) => {
        // The pool refused the work outright (queue full → 503): count it.
        if (isImgedgeError(err) && err.code === 'overloaded') metrics.transformRejected.inc();
        throw err;
      });
  }
}

function contentType(format: string): string {
  return CONTENT_TYPES[format as keyof typeof CONTENT_TYPES] ?? 'application/octet-stream';
}
