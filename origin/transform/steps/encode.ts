/** Encode: the planned format with the measured defaults (encoders.ts); q overrides the quality. */
import { encoderOptions } from '../encoders.js';
import type { Step } from '../types.js';

export const encode: Step = ({ image, options, plan }) => {
  image.toFormat(plan.format, encoderOptions(plan.format, options.q));
};
