/** Auto-orient: apply the EXIF Orientation tag (and drop it); w/h/rot then refer to what viewers see. */
import type { Step } from '../types.js';

export const autoOrient: Step = ({ image }) => {
  image.autoOrient();
};
