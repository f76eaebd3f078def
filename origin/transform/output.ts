/**
 * What the output formats can carry (alpha, frames), their content types, and the limits the
 * plan (plan.ts) applies when it picks the format and decides whether frames are kept.
 */
import type { ImageOptions, OutputFormat } from '../../shared/options/types.js';

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
