/**
 * rot (clockwise, after auto-orient), then flip (h mirrors left-right, v top-bottom) of the
 * rotated image. Applied after the resize, except where geometry.ts says it must come first.
 */
import type { Sharp } from 'sharp';
import type { ImageOptions } from '../../../shared/options/types.js';
import { sharpFlip } from '../geometry.js';
import type { Step } from '../types.js';

export function applyRotateFlip(image: Sharp, options: ImageOptions): void {
  // The plan drops the frames for 90/270 (libvips rotates multi-frame images only by 180).
  if (options.rot !== undefined && options.rot !== 0) image.rotate(options.rot);
  const { flip, flop } = sharpFlip(options);
  if (flip) image.flip();
  if (flop) image.flop();
}

export const rotateFlip: Step = ({ image, options, plan }) => {
  if (!plan.rotatesFirst) applyRotateFlip(image, options);
};
