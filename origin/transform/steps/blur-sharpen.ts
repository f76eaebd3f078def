/** blur: Gaussian sigma 0.3..250. sharpen: sigma of sharp's L-channel unsharp mask, 0 = off. */
import type { Step } from '../types.js';

export const blurSharpen: Step = ({ image, options }) => {
  if (options.blur !== undefined) image.blur(options.blur);
  if (options.sharpen !== undefined && options.sharpen > 0) image.sharpen({ sigma: options.sharpen });
};
