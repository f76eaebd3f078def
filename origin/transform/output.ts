/**
 * The output plan, decided from the options and the source header before anything is decoded:
 * the format (explicit `f`, or `f=auto` resolved from the edge's capability class and the
 * source), and whether the frames of an animated source are kept.
 */
import { isExplicitFormat } from '../../shared/options/format.js';
import { type FormatClass, resolveAutoFormat } from '../../shared/options/negotiate.js';
import type { ImageOptions, OutputFormat } from '../../shared/options/types.js';
import { isOpaque, parseBg } from './colour.js';
import { outputPixels } from './geometry.js';
import type { OutputPlan, SourceInfo } from './types.js';

export const CONTENT_TYPES: Record<OutputFormat, string> = {
  avif: 'image/avif',
  webp: 'image/webp',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
};

/** Formats that can carry transparency. */
export function supportsAlpha(format: OutputFormat): boolean {
  return format !== 'jpeg';
}

/** Formats sharp can write with several frames. */
export function supportsAnimation(format: OutputFormat): boolean {
  return format === 'webp' || format === 'gif';
}

/**
 * Operations libvips cannot apply to a multi-frame image change the geometry the client asked
 * for, so they win over the animation: the first frame is served. (Smart-crop gravity only moves
 * the crop, so on an animation it falls back to the centre instead; see steps/resize.ts.)
 */
export function needsSingleFrame(options: ImageOptions): boolean {
  return options.trim !== undefined || options.rot === 90 || options.rot === 270;
}

/**
 * AVIF encodes cannot be interrupted by sharp's timeout and grow with the pixel count (effort 3:
 * ≈0.6 s CPU at 3 MP, seconds beyond), so larger outputs are served as WebP instead — like
 * Cloudflare Images, which also falls back from AVIF for large images. 8.3 MP ≈ a 3840×2160 frame.
 */
export const AVIF_MAX_PIXELS = 3840 * 2160;

export function planOutput(options: ImageOptions, source: SourceInfo, autoClass: FormatClass): OutputPlan {
  const anim = options.anim ?? true;
  const animated = source.animated && anim && !needsSingleFrame(options);
  // An opaque bg flattens the image, so an alpha source no longer needs an alpha format.
  const flattened = options.bg !== undefined && isOpaque(parseBg(options.bg));
  const wanted = isExplicitFormat(options.f)
    ? options.f
    : resolveAutoFormat(autoClass, { hasAlpha: source.hasAlpha && !flattened, animated }, anim);
  const format =
    wanted === 'avif' && outputPixels(source.width, source.height, options) > AVIF_MAX_PIXELS
      ? 'webp'
      : wanted;
  return { format, keepFrames: animated && supportsAnimation(format) };
}
