/**
 * Low-quality image placeholders (LQIP): a ThumbHash (https://evanw.github.io/thumbhash/, the
 * `thumbhash` package) and one colour, computed from the small RGBA thumbnail the upload's decode
 * check makes anyway (uploads/verify.ts), so a placeholder costs no second decode.
 *
 * The colour is the alpha-weighted mean of the thumbnail in sRGB: the colour of the fully blurred
 * image, the same one the ThumbHash decodes to on average. sharp's `stats().dominant` was measured
 * too: ≈16 ms for one call on the 100×75 thumbnail (a libvips pipeline of its own), against
 * ≈0.1 ms for the mean in JS, and it ignores alpha (transparent pixels count as their RGB).
 */
import { rgbaToThumbHash } from 'thumbhash';

/** The image record's `placeholder`. */
export interface Placeholder {
  /** The ThumbHash bytes in standard base64 (with padding), as thumbhash's own demo prints them. */
  thumbhash: string;
  /** `#rrggbb`, lower case. */
  color: string;
}

/** RGBA pixels, not premultiplied, row by row; at most PLACEHOLDER_BOX on each side. */
export interface Thumbnail {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** ThumbHash encodes at most 100×100 pixels (more costs time and changes nothing). */
export const PLACEHOLDER_BOX = 100;

export function placeholderOf(thumb: Thumbnail): Placeholder {
  const hash = rgbaToThumbHash(thumb.width, thumb.height, thumb.rgba);
  return { thumbhash: Buffer.from(hash).toString('base64'), color: meanColour(thumb.rgba) };
}

/** Alpha-weighted mean colour as `#rrggbb`; a fully transparent image is `#000000`. */
export function meanColour(rgba: Uint8Array): string {
  let r = 0;
  let g = 0;
  let b = 0;
  let a = 0;
  for (let i = 0; i + 3 < rgba.length; i += 4) {
    const alpha = rgba[i + 3] as number;
    r += (rgba[i] as number) * alpha;
    g += (rgba[i + 1] as number) * alpha;
    b += (rgba[i + 2] as number) * alpha;
    a += alpha;
  }
  if (a === 0) return '#000000';
  return `#${[r, g, b]
    .map((sum) =>
      Math.round(sum / a)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}
