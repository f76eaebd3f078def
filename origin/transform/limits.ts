/** The transform limits: defaults, and the pixel cap checked from the header before decoding. */
import { ImgedgeError } from '../../shared/errors.js';
import type { TransformLimits } from './types.js';

export const DEFAULT_LIMITS: TransformLimits = { maxInputPixels: 50_000_000, timeoutMs: 30_000 };

export function resolveLimits(limits: Partial<TransformLimits> = {}): TransformLimits {
  return {
    maxInputPixels: Math.floor(limits.maxInputPixels ?? DEFAULT_LIMITS.maxInputPixels),
    timeoutMs: limits.timeoutMs ?? DEFAULT_LIMITS.timeoutMs,
  };
}

/** sharp's timeout is in whole seconds; never 0 (which would mean "no timeout"). */
export function timeoutSeconds(limits: TransformLimits): number {
  return Math.min(3600, Math.max(1, Math.ceil(limits.timeoutMs / 1000)));
}

/** Throws `image_too_large` when width × height × frames exceeds the cap. */
export function assertPixelCap(width: number, height: number, frames: number, limit: number): void {
  const pixels = width * height * frames;
  if (pixels > limit) {
    throw new ImgedgeError(
      'image_too_large',
      `The image has ${pixels} pixels${frames > 1 ? ` over ${frames} frames` : ''}; the limit is ${limit}`,
      { extra: { pixels, limit, width, height, frames } },
    );
  }
}
