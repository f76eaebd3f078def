/**
 * Crop: keep the `crop` region, before anything else (after auto-orient, before resize). The plan
 * has checked it against the source and placed it in sharp's frame (region.ts). Animated images
 * are cut frame by frame (sharp extracts each page). Never with trim (the grammar refuses both).
 */
import type { Step } from '../types.js';

export const crop: Step = ({ image, plan }) => {
  if (plan.crop) image.extract(plan.crop);
};
