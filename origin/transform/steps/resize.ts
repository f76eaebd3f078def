/**
 * Resize/crop: fit (cover, contain, fill, inside, outside), gravity incl. the attention/entropy
 * smart crop, dpr, no enlargement unless asked, 8192 px per side at most. The box and the padding
 * are the plan's (plan.ts, geometry.ts).
 */
import sharp, { type ResizeOptions } from 'sharp';
import type { Gravity } from '../../../shared/options/types.js';
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
    withoutEnlargement: !(options.enlarge ?? false),
  };
  if (box.fit === 'cover' || box.fit === 'contain') resizeOptions.position = position(ctx, box.fit);
  if (box.fit === 'contain') resizeOptions.background = plan.pad;
  // A quarter turn with a crop/pad box: rotate first, so that box and gravity are the final ones.
  if (plan.rotatesFirst) applyRotateFlip(image, options);
  image.resize(resizeOptions);
};

function position({ options, plan }: TransformContext, fit: 'cover' | 'contain'): number {
  const g: Gravity = options.g ?? 'center';
  if (g === 'attention' || g === 'entropy') {
    // libvips has no smart crop for multi-frame images; the crop size holds, centred.
    return fit === 'cover' && !plan.keepFrames ? sharp.strategy[g] : sharp.gravity.center;
  }
  return sharp.gravity[g];
}
