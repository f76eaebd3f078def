/**
 * The transform limits: defaults, the pixel cap checked from the header before decoding, and the
 * work limits (MAX_ANIMATION_FRAMES, MAX_OUTPUT_PIXELS) checked from the plan before sharp runs.
 */
import { ImgedgeError } from '../../shared/errors.js';
import type { SourceInfo, TransformLimits, TransformPlan } from './types.js';

export const DEFAULT_LIMITS: TransformLimits = {
  maxInputPixels: 50_000_000,
  timeoutMs: 30_000,
  maxAnimationFrames: 200,
  // 8192 × 8192: the largest single frame the geometry allows, so at the default only animations
  // (width × height × frames) can reach it.
  maxOutputPixels: 8192 * 8192,
};

export function resolveLimits(limits: Partial<TransformLimits> = {}): TransformLimits {
  return {
    maxInputPixels: Math.floor(limits.maxInputPixels ?? DEFAULT_LIMITS.maxInputPixels),
    timeoutMs: limits.timeoutMs ?? DEFAULT_LIMITS.timeoutMs,
    maxAnimationFrames: Math.floor(limits.maxAnimationFrames ?? DEFAULT_LIMITS.maxAnimationFrames),
    maxOutputPixels: Math.floor(limits.maxOutputPixels ?? DEFAULT_LIMITS.maxOutputPixels),
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

/** The configuration variable a limit_exceeded problem names. */
export type LimitName = 'MAX_ANIMATION_FRAMES' | 'MAX_OUTPUT_PIXELS';

/**
 * 422 `limit_exceeded`: `limit` names the variable, `value` is what the request would take,
 * `max` the configured bound; `extra` adds the figures it follows from.
 */
export function limitExceeded(
  limit: LimitName,
  value: number,
  max: number,
  detail: string,
  extra: Record<string, unknown> = {},
): ImgedgeError {
  return new ImgedgeError('limit_exceeded', `${detail}; ${limit} is ${max}`, {
    extra: { limit, value, max, ...extra },
  });
}

/** Throws `limit_exceeded` (MAX_ANIMATION_FRAMES) for an animation with more frames than `max`. */
export function assertFrameLimit(frames: number, max: number): void {
  if (frames > max) {
    throw limitExceeded('MAX_ANIMATION_FRAMES', frames, max, `The animation has ${frames} frames`);
  }
}

/**
 * The work a planned transform would do, refused before sharp runs: the frames it keeps
 * (MAX_ANIMATION_FRAMES; `anim=0` or a single-frame option serves the first frame and passes) and
 * its output pixels, width × height × frames kept (MAX_OUTPUT_PIXELS). The output size is the
 * plan's: the crop region resized, padding included (an upper bound when trim shrinks the image
 * first).
 */
export function assertWorkLimits(source: SourceInfo, plan: TransformPlan, limits: TransformLimits): void {
  const frames = plan.keepFrames ? source.pages : 1;
  assertFrameLimit(frames, limits.maxAnimationFrames);
  const pixels = plan.output.width * plan.output.height * frames;
  if (pixels > limits.maxOutputPixels) {
    throw limitExceeded(
      'MAX_OUTPUT_PIXELS',
      pixels,
      limits.maxOutputPixels,
      `The output would have ${pixels} pixels${frames > 1 ? ` over ${frames} frames` : ''}`,
      { frames },
    );
  }
}
