/** Trim: cut away edges that match the top-left pixel within `trim` (1..100) of colour distance. */
import type { Step } from '../types.js';

export const trim: Step = ({ image, options, plan }) => {
  // Never with kept frames: libvips cannot trim a multi-frame image (the plan drops them).
  if (options.trim === undefined || plan.keepFrames) return;
  image.trim({ threshold: options.trim });
};
