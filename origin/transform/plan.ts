/**
 * The plan, like imgproxy's CalcParams(): everything that follows from the options and the source
 * header — the geometry (crop region, resize box, padding, output size), the background, the output format (f=auto resolved, and the AVIF → WebP
 * size fallback) and whether frames are kept — worked out once, in load, before anything is
 * decoded. Every step reads it from the context; none works any of it out again.
 */
import { isExplicitFormat } from '../../shared/options/format.js';
import { type FormatClass, resolveAutoFormat } from '../../shared/options/negotiate.js';
import type { ImageOptions, OutputFormat } from '../../shared/options/types.js';
import { isOpaque, opaque, parseBg, type Rgba, TRANSPARENT, WHITE } from './colour.js';
import { finalSize, planResize, rotatesFirst, type Size } from './geometry.js';
import { AVIF_MAX_PIXELS, needsSingleFrame, supportsAlpha, supportsAnimation } from './output.js';
import { planCrop } from './region.js';
import type { Padding, SourceInfo, TransformPlan, WatermarkPlan } from './types.js';

export function planTransform(
  options: ImageOptions,
  source: SourceInfo,
  autoClass: FormatClass,
  watermark?: WatermarkPlan,
): TransformPlan {
  const bg = options.bg === undefined ? undefined : parseBg(options.bg);
  // An opaque bg flattens the image, so an alpha source no longer needs an alpha format.
  const opaqueBg = bg !== undefined && isOpaque(bg);
  // Everything after the crop sees only the region: w/h, fit and a focal point refer to it.
  const crop = planCrop(options, source.width, source.height);
  const srcWidth = crop?.region.width ?? source.width;
  const srcHeight = crop?.region.height ?? source.height;
  const resize = planResize({ srcWidth, srcHeight, options });
  const padding = planPadding(options);
  const output = padded(finalSize(resize, srcWidth, srcHeight, options), padding);
  const anim = options.anim ?? true;
  const animated = source.animated && anim && !needsSingleFrame(options);
  const wanted: OutputFormat = isExplicitFormat(options.f)
    ? options.f
    : resolveAutoFormat(autoClass, { hasAlpha: source.hasAlpha && !opaqueBg, animated }, anim);
  const format: OutputFormat =
    wanted === 'avif' && output.width * output.height > AVIF_MAX_PIXELS ? 'webp' : wanted;
  const alpha = supportsAlpha(format);
  return {
    format,
    keepFrames: animated && supportsAnimation(format),
    crop: crop?.extract,
    resize,
    padding,
    output,
    rotatesFirst: rotatesFirst(options),
    flatten: !alpha || opaqueBg ? (bg === undefined ? WHITE : opaque(bg)) : undefined,
    pad: padColour(bg, alpha, source.hasAlpha),
    // Only a wm the request names: the caller resolved it (origin/watermarks/library.ts).
    watermark: options.wm === undefined ? undefined : watermark,
  };
}

/** `pad` in output pixels: the client's numbers × dpr, like w and h; undefined when all are 0. */
function planPadding(options: ImageOptions): Padding | undefined {
  if (options.pad === undefined || options.pad.every((n) => n === 0)) return undefined;
  const dpr = typeof options.dpr === 'number' ? options.dpr : 1;
  const [top, right, bottom, left] = options.pad.map((n) => Math.round(n * dpr)) as [
    number,
    number,
    number,
    number,
  ];
  return { top, right, bottom, left };
}

function padded(size: Size, padding: Padding | undefined): Size {
  if (padding === undefined) return size;
  return {
    width: size.width + padding.left + padding.right,
    height: size.height + padding.top + padding.bottom,
  };
}

/** The `contain` padding and the `pad` fill: bg, else transparent for alpha sources in alpha formats, else white. */
function padColour(bg: Rgba | undefined, alpha: boolean, sourceHasAlpha: boolean): Rgba {
  if (bg !== undefined) return alpha ? bg : opaque(bg);
  return alpha && sourceHasAlpha ? TRANSPARENT : WHITE;
}
