/**
 * What an upload's bytes go through before anything is stored, as one unit of work for the
 * bounded pool: probe the header (MAX_INPUT_PIXELS, frames counted; MAX_ANIMATION_FRAMES), decode
 * once into the thumbnail (truncated or corrupt data → 422), and make the placeholder from that
 * thumbnail (images/placeholder.ts) — no second decode.
 */
import { type Placeholder, placeholderOf } from '../images/placeholder.js';
import { probe } from '../transform/index.js';
import { assertFrameLimit } from '../transform/limits.js';
import type { ProbeResult } from '../transform/types.js';
import { verifyDecodes } from './verify.js';

export interface UploadChecks {
  maxInputPixels: number;
  /** Unset: no frame limit (the backfill of images already stored). */
  maxAnimationFrames?: number;
}

export interface CheckedUpload {
  info: ProbeResult;
  placeholder: Placeholder;
}

/** `input`: the upload's temp file, or (the backfill) a stored original's bytes. */
export async function checkUpload(input: string | Buffer, limits: UploadChecks): Promise<CheckedUpload> {
  const info = await probe(input, { maxInputPixels: limits.maxInputPixels });
  if (limits.maxAnimationFrames !== undefined) assertFrameLimit(info.frames, limits.maxAnimationFrames);
  // Every frame of an animation is decoded, so a broken later frame is refused too.
  const thumbnail = await verifyDecodes(input, {
    maxInputPixels: limits.maxInputPixels,
    animated: info.frames > 1,
  });
  return { info, placeholder: placeholderOf(thumbnail) };
}
