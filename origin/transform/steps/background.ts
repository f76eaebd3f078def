/**
 * Background/flatten: composite transparency onto bg (or white) when the output format has no
 * alpha channel (jpeg), and whenever the client gives an opaque bg (the plan decides: plan.ts).
 */
import type { Step } from '../types.js';

export const background: Step = ({ image, plan }) => {
  if (plan.flatten) image.flatten({ background: plan.flatten });
};
