/**
 * The `crop` region: checked against the source and placed in the frame sharp extracts it from.
 * The client gives it in the source's pixels after auto-orient (what viewers see), before rot and
 * flip. sharp extracts before it resizes — but when it rotates first (geometry.ts rotatesFirst) it
 * also rotates and mirrors before it extracts, so there the region is moved into the rotated frame:
 * rotating the region is the region of the rotated image, pixel for pixel.
 */
import { ImgedgeError } from '../../shared/errors.js';
import type { ImageOptions, IntQuad } from '../../shared/options/types.js';
import { type ExtractBox, rotatesFirst } from './geometry.js';

export interface CropPlan {
  /** The region in the client's frame (source pixels after auto-orient). */
  readonly region: ExtractBox;
  /** The same region in the frame sharp extracts from. */
  readonly extract: ExtractBox;
}

/** The plan of `options.crop`, or undefined; 400 invalid_option when it leaves the source. */
export function planCrop(options: ImageOptions, srcWidth: number, srcHeight: number): CropPlan | undefined {
  if (options.crop === undefined) return undefined;
  const region = toBox(options.crop);
  assertInside(options.crop, region, srcWidth, srcHeight);
  const extract = rotatesFirst(options) ? rotatedBox(region, srcWidth, srcHeight, options) : region;
  return { region, extract };
}

function toBox([left, top, width, height]: IntQuad): ExtractBox {
  return { left, top, width, height };
}

function assertInside(crop: IntQuad, box: ExtractBox, srcWidth: number, srcHeight: number): void {
  if (box.left + box.width <= srcWidth && box.top + box.height <= srcHeight) return;
  const value = crop.join(':');
  throw new ImgedgeError(
    'invalid_option',
    `crop ${value} is outside the ${srcWidth}×${srcHeight} source: x + w must be at most ${srcWidth} and y + h at most ${srcHeight}`,
    {
      extra: {
        key: 'crop',
        value,
        allowed: `x+w<=${srcWidth},y+h<=${srcHeight}`,
        source_width: srcWidth,
        source_height: srcHeight,
      },
    },
  );
}

/** The box after rot (clockwise), then flip of the rotated image (as rotate-flip.ts applies them). */
export function rotatedBox(
  box: ExtractBox,
  srcWidth: number,
  srcHeight: number,
  options: ImageOptions,
): ExtractBox {
  const { left: x, top: y, width: w, height: h } = box;
  let out: ExtractBox = box;
  let frame = { width: srcWidth, height: srcHeight };
  if (options.rot === 90) {
    out = { left: srcHeight - (y + h), top: x, width: h, height: w };
    frame = { width: srcHeight, height: srcWidth };
  } else if (options.rot === 180) {
    out = { left: srcWidth - (x + w), top: srcHeight - (y + h), width: w, height: h };
  } else if (options.rot === 270) {
    out = { left: y, top: srcWidth - (x + w), width: h, height: w };
    frame = { width: srcHeight, height: srcWidth };
  }
  if (options.flip === 'h' || options.flip === 'hv')
    out = { ...out, left: frame.width - (out.left + out.width) };
  if (options.flip === 'v' || options.flip === 'hv')
    out = { ...out, top: frame.height - (out.top + out.height) };
  return out;
}
