/**
 * The pipeline, imgproxy style: after load, an ordered list of small steps, each configuring the
 * one sharp instance of the context. Nothing is decoded until the final toBuffer(): a single
 * decode → process → encode pass, as fast as raw sharp doing the same operation.
 */
import { autoOrient } from './steps/auto-orient.js';
import { background } from './steps/background.js';
import { blurSharpen } from './steps/blur-sharpen.js';
import { colourSpace } from './steps/colour-space.js';
import { encode } from './steps/encode.js';
import { resize } from './steps/resize.js';
import { rotateFlip } from './steps/rotate-flip.js';
import { trim } from './steps/trim.js';
import type { Step } from './types.js';

export const STEPS: readonly Step[] = [
  autoOrient,
  trim,
  resize,
  rotateFlip,
  blurSharpen,
  background,
  colourSpace,
  encode,
];
