/**
 * The system under test, origin/transform, and the settings the raw-sharp baselines share with
 * it. Imported before any baseline runs, so process-wide sharp settings the pipeline may make
 * (sharp.cache, sharp.concurrency) apply to both sides.
 */
import type { SharpOptions } from 'sharp';
import { DEFAULT_LIMITS, ENCODER_DEFAULTS, transform } from '../origin/transform/index.js';

export { ENCODER_DEFAULTS, transform };

/**
 * What the pipeline's load step passes to sharp() (origin/transform/steps/load.ts
 * decoderOptions): the same decoder flags for the baseline, so both decode identically.
 */
export const DECODER_OPTIONS: SharpOptions = {
  limitInputPixels: DEFAULT_LIMITS.maxInputPixels,
  failOn: 'error',
  sequentialRead: true,
};
