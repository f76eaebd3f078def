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
import { assertKnownWatermark, type Watermarks } from '../../shared/watermarks/index.js';
import type { Db } from '../db/driver.js';
import { getImage } from '../db/images.js';
import type { Focal } from '../images/focal.js';
import { type OriginalInfo, originalInfo } from '../images/record.js';
import {
  MEZZANINE_VERSION,
  type MezzanineLevel,
  mezzanineLevel,
  type OriginalFacts,
} from '../mezzanine/policy.js';
import type { Mezzanines } from '../mezzanine/service.js';
import type { Metrics } from '../observability/metrics.js';
import type { OriginalStore } from '../storage/originals.js';
import type { OutsideEncoder } from '../transform/avif-encoders.js';
import { CONTENT_TYPES, transform } from '../transform/index.js';
import type { WatermarkInput } from '../transform/types.js';
import { WatermarkLibrary } from '../watermarks/library.js';
import { PIPELINE_VERSION, type VariantCache } from './disk-cache.js';
import { ImageIdCache } from './id-cache.js';
import { INFO_CONTENT_TYPE, INFO_FORMAT, infoDocument, outputInfo, sourceOriginalInfo } from './info.js';
import { SingleFlight } from './single-flight.js';
import { withStoredFocal } from './stored-focal.js';
import type { Made, Tier2 } from './tier2.js';
import type { WorkPool } from './work-pool.js';

export interface VariantRequest {
  id: string;
  options: ImageOptions;
  canonical: string;
  /** The requested format, as the edge decided it (parseRequestedFormat). */
  requested: RequestedFormat;
  /** The image's stored focal point (lookup()); a cover/crop without `g` is cropped around it. */
  focal?: Focal | null;
}

/** What a variant needs of a live uploaded image. */
export interface LiveImage {
  sha256: string;
  focal: Focal | null;
}

export interface Variant {
  data: Buffer;
  /** The format produced (`json` for f=json). */
  format: string;
  contentType: string;
  /** hit: tier 1; tier2: the shared bucket, made by any replica; shared: joined a flight here. */
  cache: 'hit' | 'tier2' | 'miss' | 'shared';
  transformMs: number | undefined;
  /** What the variant depends on beyond its source and options (a watermark's revision), '' for none. */
  revision: string;
}

/** What produce() makes a variant with beyond its request (inputsOf). */
interface ProduceInputs {
  revision: string;
  watermark: WatermarkInput | undefined;
  /** The original's facts and the mezzanine level when the variant is made from its mezzanine. */
  mezzanine: { facts: OriginalFacts; level: MezzanineLevel } | undefined;
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
  /** WATERMARKS (absent: none; `wm=` is then unknown_watermark). */
  watermarks?: Watermarks;
  /** Bytes of decoded watermark pixels kept in memory (WATERMARK_CACHE_BYTES; default 64 MiB). */
  watermarkCacheBytes?: number;
  /** Cold variants decode the original's mezzanine when it holds enough pixels (absent: never). */
  mezzanines?: Mezzanines;
  /** Where AVIF outputs are encoded (AVIF_NICE's child processes); absent: in process. */
  avifEncoder?: OutsideEncoder;
}

/** How many originals' facts (for the mezzanine decision) are kept in memory. */
const FACTS_HELD = 10_000;

/** A variant made from the mezzanine is another pipeline: its own revision (keys, ETag). */
const MEZZANINE_REVISION = `m${MEZZANINE_VERSION}`;

/** What a variant depends on beyond its source and options, '' for nothing. */
function revisionOf(watermark: string | undefined, mezzanine: boolean): string {
  return [mezzanine ? MEZZANINE_REVISION : '', watermark ?? ''].filter((part) => part !== '').join('+');
}

/** What the service needs of coordination/invalidation.ts. */
export interface IdInvalidation {
  forget(id: string, sha256?: string): Promise<boolean>;
  onForget(handler: (id: string, sha256?: string) => void): () => void;
  onReset(handler: () => void): () => void;
  currentTtlMs(): number;
}

export class VariantService {
  private readonly flights = new SingleFlight<Made>();

  private readonly ids: ImageIdCache<LiveImage>;

  /** The configured watermarks, decoded once (watermarks/library.ts). */
  readonly watermarks: WatermarkLibrary;

  /** sha256 → the original's facts (immutable: a function of the bytes); see factsOf. */
  private readonly facts = new Map<string, OriginalFacts>();

  constructor(private readonly deps: VariantServiceDeps) {
    this.watermarks = new WatermarkLibrary({
      watermarks: deps.watermarks ?? new Map(),
      lookup: async (id) => (await this.lookup(id)).sha256,
      originals: deps.originals,
      maxBytes: deps.watermarkCacheBytes ?? 64 * 1024 ** 2,
      maxInputPixels: deps.maxInputPixels,
    });
    const invalidation = deps.invalidation;
    this.ids = invalidation
      ? new ImageIdCache<LiveImage>(10_000, () => invalidation.currentTtlMs())
      : new ImageIdCache<LiveImage>();
    invalidation?.onForget((id, sha256) => this.drop(id, sha256));
    invalidation?.onReset(() => this.ids.clear());
  }

  /**
   * Strong validator for a variant, known before any bytes are produced: of the variant as made
   * (with the stored focal point, see stored-focal.ts), so it changes with the focal point.
   * `revision`: the variant's watermark revision (Variant.revision), so a changed watermark
   * changes the ETag.
   */
  static etag(
    sha256: string,
    req: Pick<VariantRequest, 'options' | 'canonical' | 'requested' | 'focal'>,
    revision = '',
  ): string {
    const { canonical } = withStoredFocal(req, req.focal);
    const text = `${PIPELINE_VERSION}\n${sha256}\n${canonical}\n${formatLabel(req.requested)}`;
    const h = createHash('sha256')
      .update(revision === '' ? text : `${text}\n${revision}`)
      .digest('base64url');
    return `"${h.slice(0, 27)}"`;
  }

  /** A live image's sha256 and focal point (briefly cached in memory, see id-cache.ts). */
  async lookup(id: string): Promise<LiveImage> {
    const cached = this.ids.get(id);
    if (cached) return cached;
    const image = await getImage(this.deps.db, id);
    if (!image) throw new ImgedgeError('not_found', 'No such image');
    const live = { sha256: image.sha256, focal: image.focal };
    this.ids.set(id, live);
    return live;
  }

  /**
   * The image was deleted, or its focal point changed: stop mapping its id at once, here and (with
   * coordination) on every replica; `sha256` when its bytes are gone too: every replica drops its
   * tier-1 variants of them.
   */
  async forget(id: string, sha256?: string): Promise<void> {
    if (this.deps.invalidation) await this.deps.invalidation.forget(id, sha256);
    else this.drop(id, sha256);
  }

  private drop(id: string, sha256: string | undefined): void {
    this.ids.forget(id);
    if (sha256) void this.deps.variantCache.removeSource(sha256).catch(() => {});
  }

  /** `req` as the URL gave it; the stored focal point (`req.focal`) is applied here. */
  async get(req: VariantRequest, sha256: string): Promise<Variant> {
    const made = withStoredFocal(req, req.focal);
    if (isInfoRequest(req.options)) {
      // The document describes the variant without its watermark: no watermark pixels needed.
      assertKnownWatermark(req.options.wm, this.deps.watermarks ?? new Map());
      return this.cached(made, sha256, '', () => this.describe(req, made.canonical, sha256));
    }
    const { revision, watermark, mezzanine } = await this.inputsOf(made, sha256);
    return this.cached(made, sha256, revision, (storeInTier2) =>
      this.produce(made, sha256, { revision, watermark, mezzanine }, storeInTier2),
    );
  }

  /**
   * What an image variant is made with beyond its options: the watermark it names, and the
   * original's mezzanine when it holds enough pixels (policy.ts) — both in its revision.
   */
  private async inputsOf(req: VariantRequest, sha256: string): Promise<ProduceInputs> {
    const wm = req.options.wm === undefined ? undefined : await this.watermarks.resolve(req.options.wm);
    const facts = this.deps.mezzanines ? await this.factsOf(req.id, sha256) : undefined;
    const level = facts && mezzanineLevel(facts, req.options);
    const mezzanine = facts && level ? { facts, level } : undefined;
    return {
      revision: revisionOf(wm?.revision, mezzanine !== undefined),
      watermark: wm?.input,
      mezzanine,
    };
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

  /**
   * Background work (eager.ts), called inside a background slot of the pool: make an image
   * variant unless a tier has it, in this slot (not another one) and through the same flight and
   * tiers as a request, so it lands where the request will look. A flight for it already under
   * way here is left alone (joining it would hold this slot while that flight waits for one).
   */
  async warm(req: VariantRequest, sha256: string): Promise<Variant['cache'] | 'under_way'> {
    if (isInfoRequest(req.options)) throw new Error('warm() makes image variants, not f=json documents');
    const made = withStoredFocal(req, req.focal);
    const inputs = await this.inputsOf(made, sha256);
    const variant = await this.cached(
      made,
      sha256,
      inputs.revision,
      (storeInTier2) => this.produce(made, sha256, inputs, storeInTier2, { inSlot: true }),
      { skipIfUnderWay: true },
    );
    return variant?.cache ?? 'under_way';
  }

  /** Tier 1 → single-flight → [tier 2 → make]: one variant (image or f=json document). */
  private async cached(
    req: VariantRequest,
    sha256: string,
    revision: string,
    make: (storeInTier2?: (made: Made) => Promise<void>) => Promise<Made>,
  ): Promise<Variant>;
  private async cached(
    req: VariantRequest,
    sha256: string,
    revision: string,
    make: (storeInTier2?: (made: Made) => Promise<void>) => Promise<Made>,
    opts: { skipIfUnderWay: true },
  ): Promise<Variant | undefined>;
  private async cached(
    req: VariantRequest,
    sha256: string,
    revision: string,
    make: (storeInTier2?: (made: Made) => Promise<void>) => Promise<Made>,
    opts: { skipIfUnderWay?: boolean } = {},
  ): Promise<Variant | undefined> {
    const label = formatLabel(req.requested);
    const cached = await this.deps.variantCache.get(sha256, req.canonical, label, revision);
    if (cached) {
      return {
        data: cached.data,
        format: cached.format,
        contentType: contentType(cached.format),
        cache: 'hit',
        transformMs: undefined,
        revision,
      };
    }
    const key = `${sha256}/${req.canonical}/${label}${revision === '' ? '' : `/${revision}`}`;
    if (opts.skipIfUnderWay && this.flights.has(key)) return undefined;
    const { tier2 } = this.deps;
    const { promise, shared } = this.flights.do(key, () =>
      tier2
        ? tier2.fetchOrProduce(key, { canonical: req.canonical, requested: label, revision }, sha256, make)
        : make(),
    );
    const made = await promise;
    return {
      data: made.data,
      format: made.format,
      contentType: contentType(made.format),
      cache: shared ? 'shared' : made.ms === undefined ? 'tier2' : 'miss',
      transformMs: made.ms,
      revision,
    };
  }

  /**
   * The f=json document: the image variant f=auto serves the same client (through its own caches,
   * so it is made at most once and ready for the image request that usually follows), and the
   * original's facts. Kept in tier 1 here; tier 2 by the caller's flight as any variant.
   */
  private async describe(req: VariantRequest, keyCanonical: string, sha256: string): Promise<Made> {
    const started = performance.now();
    const options = { ...req.options, f: undefined, wm: undefined };
    // The image as a URL without f=json gets it (the stored focal point applied as for that URL).
    const image = await this.get({ ...req, options, canonical: canonicalize(options) }, sha256);
    const [output, original] = await Promise.all([
      outputInfo(image.data, image.format),
      this.originalInfo(req.id, sha256),
    ]);
    const data = infoDocument({ ...output, original });
    await this.deps.variantCache.put(sha256, keyCanonical, formatLabel(req.requested), data, INFO_FORMAT);
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
   * Transform and keep in tier 1; `storeInTier2` then keeps it in tier 2 too (see tier2.ts). In an
   * on-demand slot of the pool (AVIF counted against its share), or, `inSlot`, in the caller's.
   */
  private async produce(
    req: VariantRequest,
    sha256: string,
    { revision, watermark, mezzanine }: ProduceInputs,
    storeInTier2?: (made: Made) => Promise<void>,
    { inSlot = false }: { inSlot?: boolean } = {},
  ): Promise<Made> {
    const { metrics } = this.deps;
    const work = async (): Promise<Made> => {
      const started = performance.now();
      // Transforms are counted and timed by the requested format, whether they succeed or fail.
      const label = formatLabel(req.requested);
      try {
        // The mezzanine (made first if it is missing: lazily), else the original.
        const input =
          mezzanine && (await this.deps.mezzanines?.ensure(sha256, mezzanine.facts, mezzanine.level.level));
        const result = await transform({
          // Read the source once; the header read and the decode both work from this buffer.
          input: input || (await this.readOriginal(sha256)),
          // The mezzanine is planned as the original it stands for: the same output.
          ...(input && mezzanine
            ? { planAs: { width: mezzanine.facts.width, height: mezzanine.facts.height } }
            : {}),
          options: req.options,
          ...(req.requested.kind === 'auto' ? { autoClass: req.requested.class } : {}),
          ...(watermark ? { watermark } : {}),
          ...(this.deps.avifEncoder ? { avifEncoder: this.deps.avifEncoder } : {}),
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
        await this.deps.variantCache.put(sha256, req.canonical, label, result.data, result.format, revision);
        return { data: result.data, format: result.format, ms };
      } catch (err) {
        metrics.transforms.inc({ format: label, result: 'error' });
        throw err;
      }
    };
    const made = inSlot
      ? await work()
      : await this.deps.pool.run(work, { avif: formatLabel(req.requested) === 'avif' });
    // Outside the pool (on demand): the pool's slot is for sharp, not for the bucket.
    await storeInTier2?.(made);
    return made;
  }
}

function contentType(format: string): string {
  if (format === INFO_FORMAT) return INFO_CONTENT_TYPE;
  return CONTENT_TYPES[format as keyof typeof CONTENT_TYPES] ?? 'application/octet-stream';
}
