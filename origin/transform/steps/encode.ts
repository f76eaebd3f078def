/**
 * Encode: the planned format with the measured defaults (encoders.ts); q overrides the quality.
 * Encoded outside this process (TransformContext.encodeOutside): raw pixels, which transform.ts
 * hands to that encoder with the same options.
 */
import { encoderOptions } from '../encoders.js';
import type { Step } from '../types.js';

export const encode: Step = ({ image, options, plan, encodeOutside }) => {
  if (encodeOutside) image.raw();
  else image.toFormat(plan.format, encoderOptions(plan.format, options.q));
};
