/**
 * origin/transform — every image the origin serves goes through here: one sharp pipeline per
 * request (load → auto-orient → trim → resize/crop → rotate/flip → blur/sharpen →
 * background/flatten → sRGB → encode), with a pixel cap, a timeout and measured encoder defaults.
 */
export { ENCODER_DEFAULTS, encoderOptions } from './encoders.js';
export { DEFAULT_LIMITS } from './limits.js';
export { CONTENT_TYPES } from './output.js';
export { probe } from './probe.js';
export { decoderOptions } from './steps/load.js';
export { transform } from './transform.js';
export type { ProbeResult, TransformLimits, TransformRequest, TransformResult } from './types.js';
