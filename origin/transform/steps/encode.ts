/** Encode: the output format with the measured defaults (encoders.ts); q overrides the quality. */
import { encoderOptions } from '../encoders.js';
import type { Step } from '../types.js';

export const encode: Step = ({ image, options, output }) => {
  image.toFormat(output.format, encoderOptions(output.format, options.q));
};
