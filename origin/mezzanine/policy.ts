/**
 * The mezzanine (issue 15): an auto-oriented, 8-bit sRGB, high-fidelity copy of an original at
 * bounded sizes, stored beside it, that cold variants decode instead of the original when it holds
 * enough pixels. Chosen by measurement (bench/mezzanine-formats.ts, table in bench/README.md):
 * - two levels, a pyramid: long edge 2048 px (never enlarged) and 1024 px, the smaller made from
 *   the larger. A variant decodes the smallest level that holds enough pixels: a 12 MP photo →
 *   800 px WebP costs 73 ms CPU from the 1024 level against 88 from the 2048 one (a 4 MP RGBA PNG
 *   170 against 232; the original: 141 and 303).
 * - PNG at compression level 0 (stored deflate, no filtering: decoding is little more than a copy),
 *   opaque or with alpha, its pixels sRGB, tagged with the compact sRGB profile only when the
 *   original carried a profile (make.ts). It was both the fastest to decode and the only
 *   2048 px candidate whose every served width kept pixel SSIM ≥ 0.99 (12 MP photo: 0.9923 worst;
 *   JPEG q92 4:4:4 0.9841, q95 0.9890 at 1860 px). The price is size: 3 or 4 bytes a pixel
 *   (≈9 + 2.4 MB for a 12 MP photo, ≈16 + 4 MB for 2000×2000 RGBA), more than the original.
 * - Sources it does not help get none: animations and multi-page files; an opaque source whose
 *   long edge is within MIN_GAIN of 2048 px (a JPEG that size already decodes about as cheaply),
 *   any source with a long edge of at most MIN_EDGE px. A lower level exists only when it is at
 *   least MIN_GAIN smaller than the level above.
 * Everything here is a pure function of the original's facts (its image row) and the options, so
 * every replica decides alike before any bytes are read: same cache key, same ETag.
 */
import type { ImageOptions } from '../../shared/options/types.js';
import { planResize, sourceScale } from '../transform/geometry.js';

/**
 * Bump when the mezzanine's size, format or quality change: new keys, new variant ETags.
 * 2: no ICC profile in the mezzanine (an XMP packet says the original had one: make.ts).
 * 3: two levels (2048 and 1024 px).
 * 4: the compact sRGB profile instead of the XMP packet: a variant keeps it as it is (no lcms
 *    pass, ≈4 ms CPU less per 800 px variant, the same bytes out; steps/colour-space.ts).
 */
export const MEZZANINE_VERSION = '4';
/** Earlier versions whose levels a store may still hold: never read, removed with the image. */
export const RETIRED_MEZZANINE_VERSIONS: readonly string[] = ['3'];
/** The levels' nominal long edges, largest first (the top one is never enlarged). */
export const MEZZANINE_LEVELS = [2048, 1024] as const;
export type MezzanineLevelName = (typeof MEZZANINE_LEVELS)[number];
/** An opaque original needs a long edge ≥ 2048 × MIN_GAIN to get a mezzanine. */
const MIN_GAIN = 1.25;
/** No mezzanine at or under this long edge, whatever the format. */
const MIN_EDGE = 1024;
/**
 * Safety margin: a level serves an output only when it holds MARGIN × the pixels (per axis) the
 * output needs, so every resize from it is a real downscale (the 1920 px width of a 4000 px
 * original, 0.48 of it, needs 0.528 > 0.512: the original).
 */
export const MARGIN = 1.1;
/**
 * A level below the top serves an output only when the output needs at least MIN_FILL of its
 * pixels per axis: two resamples that shrink a lot drift from the one the original gets (12 MP
 * photo, 400 px from the 1024 level: SSIM 0.983; 520–930 px: 0.992–0.997; RGBA 2000 px, 400 px:
 * 0.987, 520–930 px: 0.991–0.993). Smaller outputs use the top level.
 */
const MIN_FILL = 0.5;

/** What the decision needs of an original (an image row's columns). */
export interface OriginalFacts {
  /** Display size (EXIF orientation applied). */
  width: number;
  height: number;
  frames: number;
  hasAlpha: boolean;
  format: string;
}

/** One level of an original's mezzanine. */
export interface MezzanineLevel {
  /** Nominal long edge (its name in the store); the top level of a smaller original is smaller. */
  level: MezzanineLevelName;
  width: number;
  height: number;
  /** Level pixels per original pixel (≤ 1). */
  scale: number;
}

/** The levels an original's mezzanine has, largest first; undefined: it gets none. */
export function mezzanineLevels(facts: OriginalFacts): MezzanineLevel[] | undefined {
  if (facts.frames > 1) return undefined;
  const long = Math.max(facts.width, facts.height);
  if (long <= MIN_EDGE) return undefined;
  const [top] = MEZZANINE_LEVELS;
  if (!facts.hasAlpha && long < top * MIN_GAIN) return undefined;
  const levels: MezzanineLevel[] = [];
  for (const level of MEZZANINE_LEVELS) {
    const edge = Math.min(level, long);
    const above = levels.at(-1);
    if (above && edge * MIN_GAIN > Math.max(above.width, above.height)) continue;
    const scale = edge / long;
    levels.push({
      level,
      width: Math.max(1, Math.round(facts.width * scale)),
      height: Math.max(1, Math.round(facts.height * scale)),
      scale,
    });
  }
  return levels;
}

/**
 * The level a variant is made from: the smallest whose pixels (per axis) are at least MARGIN ×
 * what the planned output needs (after dpr, fit, focal crop, rot), and, below the top, at most
 * 1 / MIN_FILL of it; undefined: the original. trim is content-dependent (the box it cuts is known
 * only after decoding, and a small trimmed region would be enlarged from the mezzanine): the
 * original. crop names the original's pixels (and a small region is enlarged the same way): the
 * original. No resize: the original's own pixels.
 */
export function mezzanineLevel(facts: OriginalFacts, options: ImageOptions): MezzanineLevel | undefined {
  const levels = mezzanineLevels(facts);
  if (!levels || options.trim !== undefined || options.crop !== undefined) return undefined;
  const plan = planResize({ srcWidth: facts.width, srcHeight: facts.height, options });
  if (!plan) return undefined;
  const needed = sourceScale(plan, facts.width, facts.height, options);
  let chosen: MezzanineLevel | undefined;
  for (const [i, level] of levels.entries()) {
    if (needed * MARGIN > level.scale) break;
    if (i === 0 || needed >= level.scale * MIN_FILL) chosen = level;
  }
  return chosen;
}
