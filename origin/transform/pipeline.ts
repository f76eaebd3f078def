/**
 * The pipeline, imgproxy style: after load, an ordered list of small steps, each configuring the
 * one sharp instance of the context. Nothing is decoded until the final toBuffer(): a single
 * decode → process → encode pass, as fast as raw sharp doing the same operation. A watermark
 * (wm=) is the one exception: its place depends on the output's real size, so that step reads the
 * processed pixels and composites onto them in a second instance that encodes.
 */
import { autoOrient } from './steps/auto-orient.js';
import { background } from './steps/background.js';
import { blurSharpen } from './steps/blur-sharpen.js';
import { colourSpace } from './steps/colour-space.js';
import { crop } from './steps/crop.js';
import { encode } from './steps/encode.js';
import { pad } from './steps/pad.js';
import { resize } from './steps/resize.js';
import { rotateFlip } from './steps/rotate-flip.js';
import { trim } from './steps/trim.js';
import { watermark } from './steps/watermark.js';
import type { Step } from './types.js';

/**
 * sharp runs its operations in its own fixed order, not in the order they are configured; this
 * list is that order: crop (extract before resize) after auto-orient, pad (extend) after resize,
 * crop and rotation. crop and trim are never both given (the grammar refuses it).
 */
export const STEPS: readonly Step[] = [
  autoOrient,
  crop,
  trim,
  resize,
  rotateFlip,
  pad,
  blurSharpen,
  background,
  colourSpace,
  // After every geometry and colour step, before encode: it draws onto the output's pixels.
  watermark,
  encode,
];
