/**
 * Resize/crop: fit (cover, contain, fill, inside, outside, crop), gravity incl. the
 * attention/entropy smart crop and a focal point, dpr, no enlargement unless asked, 8192 px per
 * side at most. The box, the focal-point extract and the padding are the plan's (plan.ts,
 * geometry.ts).
 */
import sharp, { type ResizeOptions } from 'sharp';
import { GRAVITIES, type Gravity } from '../../../shared/options/types.js';
import type { Step, TransformContext } from '../types.js';
import { applyRotateFlip } from './rotate-flip.js';

export const resize: Step = (ctx) => {
  const { image, options, plan } = ctx;
  const box = plan.resize;
  if (!box) return;
  const resizeOptions: ResizeOptions = {
    width: box.width,
    height: box.height,
    fit: box.fit,
    // A focal-point crop's covering size is worked out exactly (and never enlarges unless asked).
    withoutEnlargement: box.extract === undefined && !(options.enlarge ?? false),
  };
  if (box.fit === 'cover' || box.fit === 'contain') resizeOptions.position = position(ctx, box.fit);
  if (box.fit === 'contain') resizeOptions.background = plan.pad;
  // A quarter turn with a crop/pad box: rotate first, so that box and gravity are the final ones.
  if (plan.rotatesFirst) applyRotateFlip(image, options);
  image.resize(resizeOptions);
  if (box.extract) image.extract(box.extract);
};

function position({ options, plan }: TransformContext, fit: 'cover' | 'contain'): number {
  // A focal point that is no crop's (contain, or with trim): the centre.
  const g: Gravity = isNamed(options.g) ? options.g : 'center';
  if (g === 'attention' || g === 'entropy') {
    // libvips has no smart crop for multi-frame images; the crop size holds, centred.
    return fit === 'cover' && !plan.keepFrames ? sharp.strategy[g] : sharp.gravity.center;
  }
  return sharp.gravity[g];
}

function isNamed(g: string | undefined): g is Gravity {
  return (GRAVITIES as readonly (string | undefined)[]).includes(g);
}
