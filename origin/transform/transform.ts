/** transform(): load (header, plan) → STEPS → one encode; sharp failures become ImgedgeErrors (errors.ts). */
import type { OutputInfo } from 'sharp';
import { encodedHasAlpha } from './alpha.js';
import { toTransformError } from './errors.js';
import { resolveLimits } from './limits.js';
import { CONTENT_TYPES } from './output.js';
import { STEPS } from './pipeline.js';
import { load } from './steps/load.js';
import type { TransformContext, TransformRequest, TransformResult } from './types.js';

export async function transform(req: TransformRequest): Promise<TransformResult> {
  const limits = resolveLimits(req.limits);
  try {
    const ctx = await load(req, limits);
    for (const step of STEPS) await step(ctx);
    const { data, info } = await ctx.image.toBuffer({ resolveWithObject: true });
    return toResult(ctx, data, info);
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
