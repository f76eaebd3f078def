/**
 * transform(): load (header, plan) → STEPS → one encode; sharp failures become ImgedgeErrors
 * (errors.ts). With an outside AVIF encoder (avif-encoders.ts), a planned AVIF output is made
 * there: the whole transform from an original (its decode is the heavy part), or the encode of the
 * pixels made here, with what is left of the time limit, for a watermarked output (the
 * watermark's pixels live here) and for a mezzanine (TransformRequest.planAs: decoding it is
 * little more than a copy, and its bytes, up to ≈9 MB for the 2048 px level, are more than any
 * output it serves; shipping them cost ≈45 ms CPU per 320 px AVIF). The bytes are the same either
 * way.
 */
import type { AvifOptions, OutputInfo } from 'sharp';
import { encodedHasAlpha } from './alpha.js';
import { encoderOptions } from './encoders.js';
import { toTransformError } from './errors.js';
import { resolveLimits } from './limits.js';
import { CONTENT_TYPES } from './output.js';
import { STEPS } from './pipeline.js';
import { load } from './steps/load.js';
import type { TransformContext, TransformRequest, TransformResult } from './types.js';

export async function transform(req: TransformRequest): Promise<TransformResult> {
  const limits = resolveLimits(req.limits);
  try {
    const started = performance.now();
    const ctx = await load(req, limits);
    if (ctx.encodeOutside && req.avifEncoder && !req.watermark && !ctx.standIn) {
      const { watermark: _w, avifEncoder, ...request } = req;
      return await avifEncoder.transform(request, limits.timeoutMs);
    }
    for (const step of STEPS) await step(ctx);
    const { data, info } = await ctx.image.toBuffer({ resolveWithObject: true });
    if (!ctx.encodeOutside || !req.avifEncoder) return toResult(ctx, data, info);
    const left = limits.timeoutMs - (performance.now() - started);
    const encoded = await req.avifEncoder.encode(
      {
        pixels: data,
        raw: {
          width: info.width,
          height: info.height,
          channels: info.channels,
          // Straight alpha, as every sharp output (steps/watermark.ts).
          premultiplied: false,
        },
        options: encoderOptions('avif', ctx.options.q) as AvifOptions,
        srgbProfile: ctx.source.hasProfile,
      },
      Math.max(1000, left),
    );
    return toResult(ctx, encoded, { ...info, hasAlpha: info.channels === 2 || info.channels === 4 });
  } catch (err) {
    throw toTransformError(err);
  }
}

function toResult(ctx: TransformContext, data: Buffer, info: OutputInfo): TransformResult {
  const frames = ctx.plan.keepFrames ? (info.pages ?? ctx.source.pages) : 1;
  return {
    data,
    format: ctx.plan.format,
    contentType: CONTENT_TYPES[ctx.plan.format],
    width: info.width,
    height: frames > 1 ? (info.pageHeight ?? Math.round(info.height / frames)) : info.height,
    frames,
    hasAlpha: encodedHasAlpha(ctx.plan.format, data, info.hasAlpha),
    bytes: data.length,
  };
}
