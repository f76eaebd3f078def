/**
 * Resize/crop: fit (cover, contain, fill, inside, outside), gravity incl. the attention/entropy
 * smart crop, dpr, no enlargement unless asked, 8192 px per side at most (see geometry.ts).
 */
import sharp, { type ResizeOptions } from 'sharp';
import type { Gravity } from '../../../shared/options/types.js';
import { opaque, parseBg, TRANSPARENT, WHITE } from '../colour.js';
import { planResize, rotatesFirst } from '../geometry.js';
import { supportsAlpha } from '../output.js';
import type { Step, TransformContext } from '../types.js';
import { applyRotateFlip } from './rotate-flip.js';

export const resize: Step = (ctx) => {
  const { image, options, source } = ctx;
  const plan = planResize({ srcWidth: source.width, srcHeight: source.height, options });
  if (!plan) return;
  const resizeOptions: ResizeOptions = {
    width: plan.width,
    height: plan.height,
    fit: plan.fit,
    withoutEnlargement: !(options.enlarge ?? false),
  };
  if (plan.fit === 'cover' || plan.fit === 'contain') resizeOptions.position = position(ctx, plan.fit);
  if (plan.fit === 'contain') resizeOptions.background = padColour(ctx);
  // A quarter turn with a crop/pad box: rotate first, so that box and gravity are the final ones.
  if (rotatesFirst(options)) applyRotateFlip(image, options);
  image.resize(resizeOptions);
};

function position({ options, output }: TransformContext, fit: 'cover' | 'contain'): number {
  const g: Gravity = options.g ?? 'center';
  if (g === 'attention' || g === 'entropy') {
    // libvips has no smart crop for multi-frame images; the crop size holds, centred.
    return fit === 'cover' && !output.keepFrames ? sharp.strategy[g] : sharp.gravity.center;
  }
  return sharp.gravity[g];
}

/** The `contain` padding: bg, else transparent for alpha sources in alpha formats, else white. */
export function padColour({ options, source, output }: TransformContext) {
  const canAlpha = supportsAlpha(output.format);
  if (options.bg !== undefined) {
    const bg = parseBg(options.bg);
    return canAlpha ? bg : opaque(bg);
  }
  return canAlpha && source.hasAlpha ? TRANSPARENT : WHITE;
}
