/**
 * Watermark (wm=): composite the named watermark onto the output, after resize, rotate, background
 * and sRGB, before encode. Where it goes depends on the output's real size (trim, sharp's
 * rounding), so this step runs the pipeline so far to raw pixels, then continues on a second sharp
 * instance over them that composites and encodes; every frame of an animated output gets it. Alpha
 * is respected: the overlay's alpha (times the opacity) blends over the output's pixels, and an
 * output without alpha stays without. The overlay's pixels come from the watermark library (read
 * and decoded once, cached by size), not from storage per request.
 */
import sharp, { type OutputInfo, type OverlayOptions, type Sharp } from 'sharp';
import { timeoutSeconds } from '../limits.js';
import type { Step, TransformContext } from '../types.js';
import { layoutWatermark } from '../watermark-layout.js';

export const watermark: Step = async (ctx) => {
  const plan = ctx.plan.watermark;
  const input = ctx.watermark;
  if (plan === undefined || input === undefined) return;
  const { data, info } = await ctx.image.raw().toBuffer({ resolveWithObject: true });
  const frameHeight = ctx.plan.keepFrames ? (info.pageHeight ?? info.height) : info.height;
  const frames = Math.max(1, Math.round(info.height / frameHeight));
  const frame = { width: info.width, height: frameHeight };
  const layout = layoutWatermark(plan, frame, await input.size());
  const pixels = await input.pixels(layout.width, layout.height);
  const overlay = { width: layout.width, height: layout.height, channels: 4 } as const;

  let composites: OverlayOptions[];
  if (!plan.repeat) {
    composites = Array.from({ length: frames }, (_, f) => ({
      input: pixels,
      raw: overlay,
      left: layout.left,
      top: f * frameHeight + layout.top,
    }));
  } else {
    // One frame's tiling (the tile padded right and down by the margin), laid on every frame.
    const tile = await sharp(pixels, { raw: overlay })
      .extend({ right: plan.margin, bottom: plan.margin, background: { r: 0, g: 0, b: 0, alpha: 0 } })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const tiled = { input: tile.data, raw: tile.info, tile: true, gravity: 'northwest' } as const;
    if (frames === 1) {
      composites = [tiled];
    } else {
      const layer = await sharp({
        create: { ...frame, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
      })
        .composite([tiled])
        .raw()
        .toBuffer();
      composites = Array.from({ length: frames }, (_, f) => ({
        input: layer,
        raw: { ...frame, channels: 4 },
        left: 0,
        top: f * frameHeight,
      }));
    }
  }
  ctx.image = continueOn(ctx, data, info, frameHeight).composite(composites);
  if (!info.hasAlpha) ctx.image.removeAlpha();
};

/** A sharp instance over the raw pixels made so far, carrying what the encode needs of the first. */
function continueOn(ctx: TransformContext, data: Buffer, info: OutputInfo, frameHeight: number): Sharp {
  const image = sharp(data, {
    raw: {
      width: info.width,
      height: info.height,
      channels: info.channels,
      // Straight alpha: sharp unpremultiplies before any output. `info.premultiplied` only says the
      // pipeline premultiplied on the way (a resize); passed on, the pixels would be divided by
      // their alpha a second time.
      premultiplied: false,
      ...(ctx.plan.keepFrames ? { pageHeight: frameHeight } : {}),
    },
    // The output's own pixels, already bounded by MAX_OUTPUT_PIXELS.
    limitInputPixels: false,
  });
  image.timeout({ seconds: timeoutSeconds(ctx.limits) });
  if (ctx.source.hasProfile && !ctx.encodeOutside) image.withIccProfile('srgb');
  if (ctx.plan.keepFrames && (ctx.plan.format === 'webp' || ctx.plan.format === 'gif')) {
    // Raw frames carry no timing: the encode keeps the source's (encode's options leave these).
    const timing = {
      ...(ctx.source.delay ? { delay: ctx.source.delay } : {}),
      ...(ctx.source.loop !== undefined ? { loop: ctx.source.loop } : {}),
    };
    if (ctx.plan.format === 'webp') image.webp(timing);
    else image.gif(timing);
  }
  return image;
}
