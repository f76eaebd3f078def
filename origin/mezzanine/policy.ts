/**
 * The mezzanine (issue 15): an auto-oriented, 8-bit sRGB, high-fidelity copy of an original at a
 * bounded size, stored beside it, that cold variants decode instead of the original when it holds
 * enough pixels. Chosen by measurement (bench/mezzanine-formats.ts, table in bench/README.md):
 * - long edge MEZZANINE_EDGE (2048 px), never enlarged;
 * - PNG at compression level 0 (stored deflate, no filtering: decoding is little more than a copy),
 *   opaque or with alpha. It was both the fastest to decode and the only 2048 px candidate whose
 *   every served width kept pixel SSIM ≥ 0.99 (12 MP photo: 0.9923 worst; JPEG q92 4:4:4 0.9841,
 *   q95 0.9890 at 1860 px). The price is size: 3 or 4 bytes a pixel (≈9 MB for 2048×1536 RGB,
 *   ≈16 MB for 2000×2000 RGBA), more than the camera JPEG it stands for.
 * - Sources it does not help get none: animations and multi-page files; an opaque source whose
 *   long edge is within MIN_GAIN of MEZZANINE_EDGE (a JPEG that size already decodes about as
 *   cheaply), any source with a long edge of at most MIN_EDGE px.
 * Everything here is a pure function of the original's facts (its image row) and the options, so
 * every replica decides alike before any bytes are read: same cache key, same ETag.
 */
import type { ImageOptions } from '../../shared/options/types.js';
import { planResize, sourceScale } from '../transform/geometry.js';

/**
 * Bump when the mezzanine's size, format or quality change: new keys, new variant ETags.
 * 2: no ICC profile in the mezzanine (an XMP packet says the original had one: make.ts).
 */
export const MEZZANINE_VERSION = '2';
export const MEZZANINE_EDGE = 2048;
/** An opaque original needs a long edge ≥ MEZZANINE_EDGE × MIN_GAIN to get a mezzanine. */
const MIN_GAIN = 1.25;
/** No mezzanine at or under this long edge, whatever the format. */
const MIN_EDGE = 1024;
/**
 * Safety margin: the mezzanine serves an output only when it holds MARGIN × the pixels (per axis)
 * the output needs, so every resize from it is a real downscale (the 1920 px width of a
 * 4000 px original, 0.48 of it, needs 0.528 > 0.512: the original).
 */
export const MARGIN = 1.1;

/** What the decision needs of an original (an image row's columns). */
export interface OriginalFacts {
  /** Display size (EXIF orientation applied). */
  width: number;
  height: number;
  frames: number;
  hasAlpha: boolean;
  format: string;
}

/** The mezzanine's size and encoder for an original; undefined: it gets none. */
export interface MezzanineShape {
  width: number;
  height: number;
  /** Mezzanine pixels per original pixel (≤ 1). */
  scale: number;
  format: 'png';
}

export function mezzanineShape(facts: OriginalFacts): MezzanineShape | undefined {
  if (facts.frames > 1) return undefined;
  const long = Math.max(facts.width, facts.height);
  if (long <= MIN_EDGE) return undefined;
  if (!facts.hasAlpha && long < MEZZANINE_EDGE * MIN_GAIN) return undefined;
  const scale = Math.min(1, MEZZANINE_EDGE / long);
  return {
    width: Math.max(1, Math.round(facts.width * scale)),
    height: Math.max(1, Math.round(facts.height * scale)),
    scale,
    format: 'png',
  };
}

/**
 * Whether a variant is made from the mezzanine: the original has one, and the planned output
 * needs no more than 1 / MARGIN of its pixels per axis (after dpr, fit, focal crop, rot). trim is
 * content-dependent (the box it cuts is known only after decoding, and a small trimmed region
 * would be enlarged from the mezzanine): the original. crop names the original's pixels (and a
 * small region is enlarged the same way): the original. No resize: the original's own pixels.
 */
export function usesMezzanine(facts: OriginalFacts, options: ImageOptions): boolean {
  const shape = mezzanineShape(facts);
  if (!shape || options.trim !== undefined || options.crop !== undefined) return false;
  const plan = planResize({ srcWidth: facts.width, srcHeight: facts.height, options });
  if (!plan) return false;
  return sourceScale(plan, facts.width, facts.height, options) * MARGIN <= shape.scale;
}
