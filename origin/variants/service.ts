/**
 * Serving one variant: look the image up, then tier 1 (disk cache) → single-flight per variant key
 * → [tier 2 (shared bucket) → bounded pool → sharp pipeline] → both tiers. N identical concurrent
 * misses run the pipeline once; with coordination (see tier2.ts) once across every replica.
 */
import { createHash } from 'node:crypto';
import { ImgedgeError } from '../../shared/errors.js';
import { canonicalize } from '../../shared/options/canonical.js';
import { formatLabel, isInfoRequest, type RequestedFormat } from '../../shared/options/format.js';
import type { ImageOptions } from '../../shared/options/types.js';
import { SOURCE_PREFIX } from '../../shared/sources/index.js';
import type { Db } from '../db/driver.js';
import { getImage } from '../db/images.js';
import { type OriginalInfo, originalInfo } from '../images/record.js';
import { MEZZANINE_VERSION, type OriginalFacts, usesMezzanine } from '../mezzanine/policy.js';
import type { Mezzanines } from '../mezzanine/service.js';
import type { Metrics } from '../observability/metrics.js';
import type { OriginalStore } from '../storage/originals.js';
import { CONTENT_TYPES, transform } from '../transform/index.js';
import { PIPELINE_VERSION, type VariantCache, variantPipeline } from './disk-cache.js';
import { ImageIdCache } from './id-cache.js';
import { INFO_CONTENT_TYPE, INFO_FORMAT, infoDocument, outputInfo, sourceOriginalInfo } from './info.js';
import { SingleFlight } from './single-flight.js';
import type { Made, Tier2 } from './tier2.js';
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
  /** The format produced (`json` for f=json). */
  format: string;
  contentType: string;
  /** hit: tier 1; tier2: the shared bucket, made by any replica; shared: joined a flight here. */
  cache: 'hit' | 'tier2' | 'miss' | 'shared';
  transformMs: number | undefined;
  /** The variant's pipeline version (variantPipeline): it is part of its ETag. */
  pipeline: string;
}

export interface VariantServiceDeps {
  db: Db;
  originals: OriginalStore;
  variantCache: VariantCache;
  pool: WorkPool;
  metrics: Metrics;
  maxInputPixels: number;
  maxAnimationFrames: number;
  maxOutputPixels: number;
  timeoutMs: number;
  /** Tier 2 and single-flight across replicas (absent: tier 1 and local single-flight only). */
  tier2?: Tier2;
  /** Deletes seen by every replica, and the id TTL while they are (absent: 10 s, this replica only). */
  invalidation?: IdInvalidation;
  /** Cold variants decode the original's mezzanine when it holds enough pixels (absent: never). */
  mezzanines?: Mezzanines;
}

/** How many originals' facts (for the mezzanine decision) are kept in memory. */
const FACTS_HELD = 10_000;

/** What the service needs of coordination/invalidation.ts. */
export interface IdInvalidation {
  forget(id: string, sha256?: string): Promise<boolean>;
  onForget(handler: (id: string, sha256?: string) => void): () => void;
  onReset(handler: () => void): () => void;
  currentTtlMs(): number;
}

export class VariantService {
  private readonly flights = new SingleFlight<Made>();

  private readonly ids: ImageIdCache;
  /** sha256 → the original's facts (immutable: a function of the bytes); see factsOf. */
  private readonly facts = new Map<string, OriginalFacts>();

  constructor(private readonly deps: VariantServiceDeps) {
    const invalidation = deps.invalidation;
    this.ids = invalidation
      ? new ImageIdCache(10_000, () => invalidation.currentTtlMs())
      : new ImageIdCache();
    invalidation?.onForget((id, sha256) => this.drop(id, sha256));
    invalidation?.onReset(() => this.ids.clear());
  }

  /** Strong validator for a variant, known before any bytes are produced. */
  static etag(
    sha256: string,
    canonical: string,
    requested: RequestedFormat,
    pipeline: string = PIPELINE_VERSION,
  ): string {
    const h = createHash('sha256')
      .update(`${pipeline}\n${sha256}\n${canonical}\n${formatLabel(requested)}`)
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

  /**
   * The image was deleted: stop mapping its id at once, here and (with coordination) on every
   * replica; `sha256` when its bytes are gone too: every replica drops its tier-1 variants of them.
   */
  async forget(id: string, sha256?: string): Promise<void> {
    if (this.deps.invalidation) await this.deps.invalidation.forget(id, sha256);
    else this.drop(id, sha256);
  }

  private drop(id: string, sha256: string | undefined): void {
    this.ids.forget(id);
    if (sha256) this.facts.delete(sha256);
    if (sha256) void this.deps.variantCache.removeSource(sha256).catch(() => {});
  }

  async get(req: VariantRequest, sha256: string): Promise<Variant> {
    if (isInfoRequest(req.options)) {
      return this.cached(req, sha256, () => this.describe(req, sha256));
    }
    const facts = this.deps.mezzanines ? await this.factsOf(req.id, sha256) : undefined;
    const mezzanine = facts !== undefined && usesMezzanine(facts, req.options) ? facts : undefined;
    const pipeline = variantPipeline(mezzanine ? MEZZANINE_VERSION : undefined);
    return this.cached(
      req,
      sha256,
      (storeInTier2) => this.produce(req, sha256, mezzanine, storeInTier2),
      pipeline,
    );
  }

  /**
   * An uploaded original's facts (its image row), for the mezzanine decision; undefined for a
   * remote source's bytes (no row: they are served from the original).
   */
  private async factsOf(id: string, sha256: string): Promise<OriginalFacts | undefined> {
    if (id.startsWith(SOURCE_PREFIX)) return undefined;
    const held = this.facts.get(sha256);
    if (held) return held;
    const row = await getImage(this.deps.db, id);
    if (!row || row.sha256 !== sha256) throw new ImgedgeError('not_found', 'No such image');
    const facts: OriginalFacts = {
      width: row.width,
      height: row.height,
      frames: row.frames,
      hasAlpha: row.hasAlpha,
      format: row.format,
    };
    if (this.facts.size >= FACTS_HELD) this.facts.clear();
    this.facts.set(sha256, facts);
    return facts;
  }

  /** Tier 1 → single-flight → [tier 2 → make]: one variant (image or f=json document). */
  private async cached(
    req: VariantRequest,
    sha256: string,
    make: (storeInTier2?: (made: Made) => Promise<void>) => Promise<Made>,
    pipeline: string = PIPELINE_VERSION,
  ): Promise<Variant> {
    const label = formatLabel(req.requested);
    const cached = await this.deps.variantCache.get(sha256, req.canonical, label, pipeline);
    if (cached) {
      return {
        data: cached.data,
        format: cached.format,
        contentType: contentType(cached.format),
        cache: 'hit',
        transformMs: undefined,
        pipeline,
      };
    }
    const key = `${pipeline}/${sha256}/${req.canonical}/${label}`;
    const { tier2 } = this.deps;
    const { promise, shared } = this.flights.do(key, () =>
      tier2
        ? tier2.fetchOrProduce(key, { canonical: req.canonical, requested: label, pipeline }, sha256, make)
        : make(),
    );
    const made = await promise;
    return {
      data: made.data,
      format: made.format,
      contentType: contentType(made.format),
      cache: shared ? 'shared' : made.ms === undefined ? 'tier2' : 'miss',
      transformMs: made.ms,
      pipeline,
    };
  }

  /**
   * The f=json document: the image variant f=auto serves the same client (through its own caches,
   * so it is made at most once and ready for the image request that usually follows), and the
   * original's facts. Kept in tier 1 here; tier 2 by the caller's flight as any variant.
   */
  private async describe(req: VariantRequest, sha256: string): Promise<Made> {
    const started = performance.now();
    const options = { ...req.options, f: undefined };
    const image = await this.get({ ...req, options, canonical: canonicalize(options) }, sha256);
    const [output, original] = await Promise.all([
      outputInfo(image.data, image.format),
      this.originalInfo(req.id, sha256),
    ]);
    const data = infoDocument({ ...output, original });
    await this.deps.variantCache.put(sha256, req.canonical, formatLabel(req.requested), data, INFO_FORMAT);
    return { data, format: INFO_FORMAT, ms: performance.now() - started };
  }

  /** The original's facts: its record for an upload; its bytes for a source image (`@…`, no record). */
  private async originalInfo(id: string, sha256: string): Promise<OriginalInfo> {
    if (!id.startsWith(SOURCE_PREFIX)) {
      const row = await getImage(this.deps.db, id);
      if (!row || row.sha256 !== sha256) throw new ImgedgeError('not_found', 'No such image');
      return originalInfo(row);
    }
    const bytes = await this.readOriginal(sha256);
    return this.deps.pool.run(() => sourceOriginalInfo(bytes, this.deps.maxInputPixels));
  }

  /** The original's bytes; gone (deleted meanwhile, e.g. through another replica) is a 404. */
  private async readOriginal(sha256: string): Promise<Buffer> {
    const bytes = await this.deps.originals.read(sha256);
    if (!bytes) throw new ImgedgeError('not_found', 'No such image');
    return bytes;
  }

  /**
   * Transform and keep in tier 1; `storeInTier2` then keeps it in tier 2 too (see tier2.ts). With
   * `mezzanine` (the original's facts), from the mezzanine, made first if it is missing (lazily).
   */
  private async produce(
    req: VariantRequest,
    sha256: string,
    mezzanine: OriginalFacts | undefined,
    storeInTier2?: (made: Made) => Promise<void>,
  ): Promise<Made> {
    const pipeline = variantPipeline(mezzanine ? MEZZANINE_VERSION : undefined);
    const { metrics } = this.deps;
    return this.deps.pool
      .run(async () => {
        const started = performance.now();
        // Transforms are counted and timed by the requested format, whether they succeed or fail.
        const label = formatLabel(req.requested);
        try {
          const input = mezzanine && (await this.deps.mezzanines?.ensure(sha256, mezzanine));
          const result = await transform({
            // Read the source once; the header read and the decode both work from this buffer.
            input: input || (await this.readOriginal(sha256)),
            // The mezzanine is planned as the original it stands for: the same output.
            ...(input && mezzanine ? { planAs: { width: mezzanine.width, height: mezzanine.height } } : {}),
            options: req.options,
            ...(req.requested.kind === 'auto' ? { autoClass: req.requested.class } : {}),
            limits: {
              maxInputPixels: this.deps.maxInputPixels,
              timeoutMs: this.deps.timeoutMs,
              maxAnimationFrames: this.deps.maxAnimationFrames,
              maxOutputPixels: this.deps.maxOutputPixels,
            },
          });
          const ms = performance.now() - started;
          metrics.transforms.inc({ format: label, result: 'ok' });
          metrics.transformDuration.observe({ format: label }, ms / 1000);
          await this.deps.variantCache.put(
            sha256,
            req.canonical,
            label,
            result.data,
            result.format,
            pipeline,
          );
          return { data: result.data, format: result.format, ms };
        } catch (err) {
          metrics.transforms.inc({ format: label, result: 'error' });
          throw err;
        }
      })
      .then(async (made) => {
        // Outside the pool: the pool's slot is for sharp, not for the bucket.
        await storeInTier2?.(made);
        return made;
      });
  }
}

function contentType(format: string): string {
  if (format === INFO_FORMAT) return INFO_CONTENT_TYPE;
  return CONTENT_TYPES[format as keyof typeof CONTENT_TYPES] ?? 'application/octet-stream';
}
