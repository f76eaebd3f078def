/**
 * The system under test, origin/transform, and the settings the raw-sharp baselines share with
 * it. Imported before any baseline runs, so process-wide sharp settings the pipeline may make
 * (sharp.cache, sharp.concurrency) apply to both sides.
 */
import type { SharpOptions } from 'sharp';
import { DEFAULT_LIMITS, decoderOptions, ENCODER_DEFAULTS, transform } from '../origin/transform/index.js';

export { ENCODER_DEFAULTS, transform };

/** What the pipeline's load step passes to sharp() at the default limits: both sides decode alike. */
export const DECODER_OPTIONS: SharpOptions = decoderOptions(DEFAULT_LIMITS);
