/**
 * Load: read the header (no pixel decoded), make the plan once (plan.ts), enforce the pixel cap
 * and the work limits (frames kept, output pixels: limits.ts), and open the one sharp pipeline
 * every later step configures (planned against `planAs`, the original's size, for a mezzanine):
 * all frames only when they are kept, else the first; the decoder aborts on errors and
 * truncation; the processing timeout starts here.
 */
import sharp, { type Sharp, type SharpOptions } from 'sharp';
import { assertPixelCap, assertWorkLimits, timeoutSeconds } from '../limits.js';
import { planTransform } from '../plan.js';
import { readMetadata, toSourceInfo } from '../source.js';
import type { TransformContext, TransformLimits, TransformRequest } from '../types.js';

/** Decoder options shared by every instance opened on a source. */
export function decoderOptions(limits: Pick<TransformLimits, 'maxInputPixels'>): SharpOptions {
  return {
    // libvips re-checks width × height × frames against the cap while loading (defence in depth).
    limitInputPixels: Math.max(1, limits.maxInputPixels),
    // Reject corrupt or truncated pixel data; tolerate mere warnings (common, harmless in the wild).
    failOn: 'error',
    sequentialRead: true,
  };
}

/** Options for reading the header only: no pixel cap there, so the cap check can say by how much. */
export function headerOptions(): SharpOptions {
  return { limitInputPixels: false, failOn: 'error' };
}

export async function load(req: TransformRequest, limits: TransformLimits): Promise<TransformContext> {
  const meta = await readMetadata(sharp(req.input, headerOptions()));
  const read = toSourceInfo(meta);
  const source = req.planAs ? { ...read, ...req.planAs } : read;
  if (req.options.wm !== undefined && req.watermark === undefined) {
    throw new Error(`watermark ${req.options.wm} asked for, but none was handed to the transform`);
  }
  const plan = planTransform(req.options, source, req.autoClass ?? 'jpeg', req.watermark?.definition);
  const frames = plan.keepFrames ? source.pages : 1;
  assertPixelCap(read.width, read.height, frames, limits.maxInputPixels);
  assertWorkLimits(source, plan, limits);
  const image: Sharp = sharp(req.input, { ...decoderOptions(limits), animated: plan.keepFrames });
  image.timeout({ seconds: timeoutSeconds(limits) });
  const encodeOutside = plan.format === 'avif' && req.avifEncoder !== undefined;
  return {
    options: req.options,
    source,
    plan,
    image,
    watermark: req.watermark,
    limits,
    encodeOutside,
    standIn: req.planAs !== undefined,
  };
}
