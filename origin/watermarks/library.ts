/**
 * The configured watermarks (WATERMARKS) as the origin draws them. A watermark names an uploaded
 * image by id: its id is looked up per request (a deleted image stops being drawn at once), but its
 * bytes are read from storage and decoded once, then kept decoded — and each size drawn kept too —
 * in a PixelCache bounded by WATERMARK_CACHE_BYTES, keyed by the image's sha256 (and size and
 * opacity). The decoded image is capped at MAX_DECODED_SIDE px a side, so an enormous upload used
 * as a watermark costs bounded memory.
 *
 * A variant's identity includes its watermark's revision: a hash of the definition and of the
 * image's sha256, so a changed WATERMARKS entry, or a watermark re-pointed at another image, makes
 * new variants (tier 1, tier 2 and the ETag) instead of serving stale ones.
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { ImgedgeError, isImgedgeError } from '../../shared/errors.js';
import { assertKnownWatermark, type Watermark, type Watermarks } from '../../shared/watermarks/index.js';
import type { OriginalStore } from '../storage/originals.js';
import { decoderOptions } from '../transform/index.js';
import type { WatermarkInput } from '../transform/types.js';
import { PixelCache, type Pixels } from './pixel-cache.js';

/** The decoded watermark image's longest side at most (outputs are at most 8192 wide). */
export const MAX_DECODED_SIDE = 4096;

export interface WatermarkLibraryDeps {
  watermarks: Watermarks;
  /** An image id → its original's sha256 (not_found when it is gone): VariantService.lookup. */
  lookup: (id: string) => Promise<string>;
  originals: Pick<OriginalStore, 'read'>;
  maxBytes: number;
  maxInputPixels: number;
}

export interface ResolvedWatermark {
  /** Hash of the definition and the image's sha256: part of every variant key and ETag. */
  revision: string;
  input: WatermarkInput;
}

export class WatermarkLibrary {
  private readonly cache: PixelCache;

  constructor(private readonly deps: WatermarkLibraryDeps) {
    this.cache = new PixelCache(deps.maxBytes);
  }

  /** Bytes of decoded pixels held. */
  get bytes(): number {
    return this.cache.bytes;
  }

  /** The named watermark, ready to draw; unknown_watermark (400) or watermark_unavailable (422). */
  async resolve(name: string): Promise<ResolvedWatermark> {
    assertKnownWatermark(name, this.deps.watermarks);
    const wm = this.deps.watermarks.get(name) as Watermark;
    let sha256: string;
    try {
      sha256 = await this.deps.lookup(wm.image);
    } catch (err) {
      if (isImgedgeError(err) && err.code === 'not_found') throw unavailable(wm, 'its image was deleted');
      throw err;
    }
    const source = () => this.cache.get(`${sha256}`, () => this.decode(wm, sha256));
    return {
      revision: revisionOf(wm, sha256),
      input: {
        definition: wm,
        size: async () => {
          const { width, height } = await source();
          return { width, height };
        },
        pixels: async (width, height) =>
          (
            await this.cache.get(`${sha256}/${width}x${height}/${wm.opacity}`, async () =>
              drawn(await source(), width, height, wm.opacity),
            )
          ).data,
      },
    };
  }

  /** The image read from storage and decoded to RGBA, at most MAX_DECODED_SIDE a side. */
  private async decode(wm: Watermark, sha256: string): Promise<Pixels> {
    const bytes = await this.deps.originals.read(sha256);
    if (!bytes) throw unavailable(wm, 'its image is gone from storage');
    try {
      const { data, info } = await sharp(bytes, decoderOptions(this.deps))
        .autoOrient()
        .resize(MAX_DECODED_SIDE, MAX_DECODED_SIDE, { fit: 'inside', withoutEnlargement: true })
        .toColourspace('srgb')
        .ensureAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height };
    } catch (err) {
      throw unavailable(wm, `its image cannot be decoded (${(err as Error).message})`, err);
    }
  }
}

/** The image resized to width × height (exactly), its alpha multiplied by the opacity. */
async function drawn(source: Pixels, width: number, height: number, opacity: number): Promise<Pixels> {
  const { data } = await sharp(source.data, {
    raw: { width: source.width, height: source.height, channels: 4 },
  })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (opacity < 1)
    for (let i = 3; i < data.length; i += 4) data[i] = Math.round((data[i] as number) * opacity);
  return { data, width, height };
}

/** The definition's fields in a fixed order, and the image's sha256. */
export function revisionOf(wm: Watermark, sha256: string): string {
  const { image, gravity, opacity, scale, margin, repeat } = wm;
  return createHash('sha256')
    .update(JSON.stringify({ image, gravity, opacity, scale, margin, repeat, sha256 }))
    .digest('base64url')
    .slice(0, 16);
}

function unavailable(wm: Watermark, why: string, cause?: unknown): ImgedgeError {
  return new ImgedgeError(
    'watermark_unavailable',
    `watermark ${JSON.stringify(wm.name)} cannot be drawn: ${why} (image ${wm.image}; fix WATERMARKS or upload it again)`,
    { extra: { watermark: wm.name, image: wm.image }, ...(cause === undefined ? {} : { cause }) },
  );
}
