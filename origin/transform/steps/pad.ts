/**
 * Pad: add the planned padding (`pad`, dpr applied) around the result, after the resize, crop and
 * rotation, in the `contain` padding colour (plan.ts). Animated images are padded frame by frame.
 */
import type { Step } from '../types.js';

export const pad: Step = ({ image, plan }) => {
  if (plan.padding) image.extend({ ...plan.padding, background: plan.pad });
};
