/**
 * The plan, like imgproxy's CalcParams(): everything that follows from the options and the source
 * header — the geometry, the background, the output format (f=auto resolved, and the AVIF → WebP
 * size fallback) and whether frames are kept — worked out once, in load, before anything is
 * decoded. Every step reads it from the context; none works any of it out again.
 */
import { isExplicitFormat } from '../../shared/options/format.js';
import { type FormatClass, resolveAutoFormat } from '../../shared/options/negotiate.js';
import type { ImageOptions, OutputFormat } from '../../shared/options/types.js';
import { isOpaque, opaque, parseBg, type Rgba, TRANSPARENT, WHITE } from './colour.js';
import { planResize, resizedPixels, rotatesFirst } from './geometry.js';
import { AVIF_MAX_PIXELS, needsSingleFrame, supportsAlpha, supportsAnimation } from './output.js';
import type { SourceInfo, TransformPlan, WatermarkPlan } from './types.js';

export function planTransform(
  options: ImageOptions,
  source: SourceInfo,
  autoClass: FormatClass,
  watermark?: WatermarkPlan,
): TransformPlan {
  const bg = options.bg === undefined ? undefined : parseBg(options.bg);
  // An opaque bg flattens the image, so an alpha source no longer needs an alpha format.
  const opaqueBg = bg !== undefined && isOpaque(bg);
  const resize = planResize({ srcWidth: source.width, srcHeight: source.height, options });
  const anim = options.anim ?? true;
  const animated = source.animated && anim && !needsSingleFrame(options);
  const wanted: OutputFormat = isExplicitFormat(options.f)
    ? options.f
    : resolveAutoFormat(autoClass, { hasAlpha: source.hasAlpha && !opaqueBg, animated }, anim);
  const format: OutputFormat =
    wanted === 'avif' &&
    resizedPixels(resize, source.width, source.height, options.enlarge ?? false) > AVIF_MAX_PIXELS
      ? 'webp'
      : wanted;
  const alpha = supportsAlpha(format);
  return {
    format,
    keepFrames: animated && supportsAnimation(format),
    resize,
    rotatesFirst: rotatesFirst(options),
    flatten: !alpha || opaqueBg ? (bg === undefined ? WHITE : opaque(bg)) : undefined,
    pad: padColour(bg, alpha, source.hasAlpha),
    // Only a wm the request names: the caller resolved it (origin/watermarks/library.ts).
    watermark: options.wm === undefined ? undefined : watermark,
  };
}

/** The `contain` padding: bg, else transparent for alpha sources in alpha formats, else white. */
function padColour(bg: Rgba | undefined, alpha: boolean, sourceHasAlpha: boolean): Rgba {
  if (bg !== undefined) return alpha ? bg : opaque(bg);
  return alpha && sourceHasAlpha ? TRANSPARENT : WHITE;
}
