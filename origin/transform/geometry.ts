/**
 * Resize geometry, as pure functions of the header dimensions and the options. Everything the
 * client gives (w, h, gravity, rot then flip) refers to the final image:
 * - dpr multiplies w/h; the output never exceeds 8192 px per side;
 * - without `enlarge`, the output never exceeds the source: a box (cover/contain/fill) is scaled
 *   down as a whole, keeping the aspect ratio the client asked for.
 *
 * How that maps onto sharp: sharp resizes before it rotates (cheap: the small image is rotated,
 * and JPEG shrink-on-load still applies), scaling against the un-rotated image, then crops or
 * pads in the rotated frame. So for a quarter turn the box is given in un-rotated axes, except
 * for cover/contain, whose crop/pad would then be transposed: there the rotation runs first.
 * sharp also mirrors before it rotates, so for a quarter turn h and v swap.
 *
 * `crop` is a cover box worked out from the source (never enlarging). A focal point (`g=<x>x<y>`)
 * on a cover or crop box is Cloudflare's gravity: the box lies over the resized image so that the
 * box's point (x, y) is the image's point (x, y) — offset x·(image − box) — so the point is always
 * in frame, 0x0 is the top-left crop and 0.5x0.5 the centre. sharp takes only named positions, so
 * it is a resize to the covering size, then an extract of the box.
 */

import type { Fit, ImageOptions } from '../../shared/options/types.js';
import { parseFocalPoint } from '../../shared/options/values.js';

export const MAX_OUTPUT_SIDE = 8192;

/** The fits sharp knows (`crop` is planned as a `cover` box). */
export type SharpFit = Exclude<Fit, 'crop'>;

export interface ExtractBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface ResizePlan {
  width: number;
  height: number;
  fit: SharpFit;
  /** A focal-point crop: resize to width×height (fill, the covering size), then cut this box. */
  extract?: ExtractBox;
}

export interface ResizeInput {
  /** Display size of the source (one frame), before any trim. */
  srcWidth: number;
  srcHeight: number;
  options: ImageOptions;
}

export function isQuarterTurn(options: ImageOptions): boolean {
  return options.rot === 90 || options.rot === 270;
}

/** Rotate (and mirror) before resizing: a quarter turn with a crop or pad to a w×h box. */
export function rotatesFirst(options: ImageOptions): boolean {
  const fit = options.fit ?? 'inside';
  return (
    isQuarterTurn(options) &&
    (fit === 'cover' || fit === 'contain' || fit === 'crop') &&
    options.w !== undefined &&
    options.h !== undefined
  );
}

/** The mirroring to ask sharp for (it mirrors before rotating) so that rot happens first. */
export function sharpFlip(options: ImageOptions): { flip: boolean; flop: boolean } {
  const h = options.flip === 'h' || options.flip === 'hv';
  const v = options.flip === 'v' || options.flip === 'hv';
  // flip_h ∘ rot90 = rot90 ∘ flip_v: a quarter turn exchanges the mirror axes.
  return isQuarterTurn(options) ? { flip: h, flop: v } : { flip: v, flop: h };
}

/** The sharp resize box, or undefined when the source passes through at its own size. */
export function planResize({ srcWidth, srcHeight, options }: ResizeInput): ResizePlan | undefined {
  const quarterTurn = isQuarterTurn(options);
  // Plan in the final image's axes…
  const [sw, sh] = quarterTurn ? [srcHeight, srcWidth] : [srcWidth, srcHeight];
  const plan = planFinal(sw, sh, options);
  if (plan?.fit === 'cover') {
    // sharp extracts after it rotates and mirrors, so the box is placed in the final frame: the
    // point is moved there. (A cover box with a quarter turn rotates first, so the resize is in
    // the final axes too; with 0 or 180 they are the source's, which are the same.)
    const focal = focalPoint(options);
    if (focal) return focalCrop(plan, sw, sh, toFinalAxes(focal, options));
  }
  // …then hand sharp the box in the axes it resizes in.
  if (!plan || !quarterTurn || rotatesFirst(options)) return plan;
  return { ...plan, width: plan.height, height: plan.width };
}

interface Point {
  x: number;
  y: number;
}

/**
 * The focal point of the options, in the source's fractions. None with trim: the trimmed frame is
 * not known before decoding, so the crop falls back to the centre.
 */
function focalPoint(options: ImageOptions): Point | undefined {
  if (options.g === undefined || options.trim !== undefined) return undefined;
  return parseFocalPoint(options.g);
}

/** Where a point of the source lies after rot, then flip. */
function toFinalAxes({ x, y }: Point, options: ImageOptions): Point {
  let p: Point = { x, y };
  if (options.rot === 90) p = { x: 1 - y, y: x };
  else if (options.rot === 180) p = { x: 1 - x, y: 1 - y };
  else if (options.rot === 270) p = { x: y, y: 1 - x };
  if (options.flip === 'h' || options.flip === 'hv') p = { x: 1 - p.x, y: p.y };
  if (options.flip === 'v' || options.flip === 'hv') p = { x: p.x, y: 1 - p.y };
  return p;
}

/** Cover box → resize to the covering size, then the box at the focal point's relative place. */
function focalCrop(box: ResizePlan, srcWidth: number, srcHeight: number, focal: Point): ResizePlan {
  const scale = Math.max(box.width / srcWidth, box.height / srcHeight);
  const width = Math.max(box.width, Math.round(srcWidth * scale));
  const height = Math.max(box.height, Math.round(srcHeight * scale));
  const place = (at: number, size: number, frame: number) => Math.round(at * (frame - size));
  return {
    width,
    height,
    fit: 'fill',
    extract: {
      left: place(focal.x, box.width, width),
      top: place(focal.y, box.height, height),
      width: box.width,
      height: box.height,
    },
  };
}

function planFinal(srcWidth: number, srcHeight: number, options: ImageOptions): ResizePlan | undefined {
  // `auto` never gets here (the edge resolves it, the variant route refuses it).
  const dpr = typeof options.dpr === 'number' ? options.dpr : 1;
  const enlarge = options.enlarge ?? false;
  const fit = options.fit ?? 'inside';
  const bw = typeof options.w === 'number' ? options.w * dpr : undefined;
  const bh = options.h === undefined ? undefined : options.h * dpr;

  if (bw === undefined && bh === undefined) {
    if (srcWidth <= MAX_OUTPUT_SIDE && srcHeight <= MAX_OUTPUT_SIDE) return undefined;
    return { width: MAX_OUTPUT_SIDE, height: MAX_OUTPUT_SIDE, fit: 'inside' };
  }
  if (bw === undefined || bh === undefined) {
    // One side given: scale to it, whatever the fit; the free side is capped by an inside box.
    const side = (given: number, source: number) =>
      px(Math.min(given, MAX_OUTPUT_SIDE, enlarge ? given : source));
    return bw === undefined
      ? { width: MAX_OUTPUT_SIDE, height: side(bh as number, srcHeight), fit: 'inside' }
      : { width: side(bw, srcWidth), height: MAX_OUTPUT_SIDE, fit: 'inside' };
  }

  if (fit === 'crop') {
    // Cover without enlarging: shrink until the source covers the box, or keep its size; a side
    // shorter than the box is not cut (Cloudflare's fit=crop).
    const scale = Math.min(1, Math.max(bw / srcWidth, bh / srcHeight));
    const width = Math.min(bw, srcWidth * scale);
    const height = Math.min(bh, srcHeight * scale);
    const cap = Math.min(1, MAX_OUTPUT_SIDE / width, MAX_OUTPUT_SIDE / height);
    return { width: px(width * cap), height: px(height * cap), fit: 'cover' };
  }

  let k = Math.min(1, MAX_OUTPUT_SIDE / bw, MAX_OUTPUT_SIDE / bh);
  if (!enlarge && (fit === 'cover' || fit === 'contain' || fit === 'fill')) {
    k = Math.min(k, srcWidth / bw, srcHeight / bh);
  }
  let width = bw * k;
  let height = bh * k;
  if (fit === 'outside') {
    // The result covers the box, so one side can run past it: keep that side under the cap too.
    let scale = Math.max(width / srcWidth, height / srcHeight);
    if (!enlarge) scale = Math.min(scale, 1);
    const longest = Math.max(srcWidth, srcHeight) * scale;
    if (longest > MAX_OUTPUT_SIDE) {
      width *= MAX_OUTPUT_SIDE / longest;
      height *= MAX_OUTPUT_SIDE / longest;
    }
  }
  return { width: px(width), height: px(height), fit };
}

/**
 * Pixels of one output frame. The area does not depend on the axis order, so the box planResize
 * hands sharp (in sharp's axes) is compared with the source in the same axes.
 */
export function outputPixels(srcWidth: number, srcHeight: number, options: ImageOptions): number {
  return resizedPixels(
    planResize({ srcWidth, srcHeight, options }),
    srcWidth,
    srcHeight,
    options.enlarge ?? false,
  );
}

/** outputPixels of a box planResize has already made (the plan computes it once). */
export function resizedPixels(
  plan: ResizePlan | undefined,
  srcWidth: number,
  srcHeight: number,
  enlarge: boolean,
): number {
  const { width, height } = resizedSize(plan, srcWidth, srcHeight, enlarge);
  return width * height;
}

export interface Size {
  width: number;
  height: number;
}

/** The size of one frame after the resize, in the axes sharp resizes in. */
export function resizedSize(
  plan: ResizePlan | undefined,
  srcWidth: number,
  srcHeight: number,
  enlarge: boolean,
): Size {
  if (!plan) return { width: srcWidth, height: srcHeight };
  if (plan.extract) return { width: plan.extract.width, height: plan.extract.height };
  // cover crops to the box, contain pads to it, fill stretches to it.
  if (plan.fit !== 'inside' && plan.fit !== 'outside') return { width: plan.width, height: plan.height };
  const rw = plan.width / srcWidth;
  const rh = plan.height / srcHeight;
  const ratio = plan.fit === 'inside' ? Math.min(rw, rh) : Math.max(rw, rh);
  const k = enlarge ? ratio : Math.min(ratio, 1);
  return { width: px(srcWidth * k), height: px(srcHeight * k) };
}

/**
 * The size of one output frame in the final axes (after rot), before trim and padding: a box
 * planResize made for a quarter turn is in un-rotated axes, unless the rotation runs first (or it
 * is a focal-point extract, which is placed in the final frame).
 */
export function finalSize(
  plan: ResizePlan | undefined,
  srcWidth: number,
  srcHeight: number,
  options: ImageOptions,
): Size {
  const size = resizedSize(plan, srcWidth, srcHeight, options.enlarge ?? false);
  const inSourceAxes = plan?.extract === undefined && !rotatesFirst(options);
  return isQuarterTurn(options) && inSourceAxes ? { width: size.height, height: size.width } : size;
}

function px(value: number): number {
  return Math.max(1, Math.round(value));
}

/**
 * How many output pixels the planned resize makes of one source pixel, along the axis that needs
 * the most (the largest linear scale sharp applies): what decides whether a smaller rendition of
 * the source (the mezzanine) holds enough pixels for this output. Undefined: no resize, the
 * source's own pixels are needed (scale 1). A future pre-resize region (crop=) enters as the
 * region's size in place of `srcWidth`/`srcHeight`: the scale is relative to what is resized.
 */
export function sourceScale(
  plan: ResizePlan | undefined,
  srcWidth: number,
  srcHeight: number,
  options: ImageOptions,
): number {
  if (!plan) return 1;
  // The box is in the axes sharp resizes in: the rotated ones when the rotation runs first.
  const [sw, sh] =
    rotatesFirst(options) && isQuarterTurn(options) ? [srcHeight, srcWidth] : [srcWidth, srcHeight];
  const rw = plan.width / sw;
  const rh = plan.height / sh;
  const scale = plan.fit === 'inside' || plan.fit === 'contain' ? Math.min(rw, rh) : Math.max(rw, rh);
  return options.enlarge ? scale : Math.min(scale, 1);
}
