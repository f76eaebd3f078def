/**
 * probe(): what an upload needs to know about an image, from its header only, under the same
 * pixel cap as transform() (animation frames counted, as transform decodes them all).
 */
import sharp from 'sharp';
import { toTransformError } from './errors.js';
import { assertPixelCap, resolveLimits } from './limits.js';
import { readMetadata, toSourceInfo } from './source.js';
import { headerOptions } from './steps/load.js';
import type { ProbeResult, TransformLimits } from './types.js';

export async function probe(input: Buffer | string, limits?: Partial<TransformLimits>): Promise<ProbeResult> {
  const resolved = resolveLimits(limits);
  try {
    const meta = await readMetadata(sharp(input, headerOptions()));
    const source = toSourceInfo(meta);
    const frames = source.animated ? source.pages : 1;
    assertPixelCap(source.width, source.height, frames, resolved.maxInputPixels);
    const result: ProbeResult = {
      format: meta.format === 'heif' && meta.compression === 'av1' ? 'avif' : meta.format,
      width: source.width,
      height: source.height,
      frames,
      hasAlpha: source.hasAlpha,
    };
    if (source.orientation !== undefined) result.orientation = source.orientation;
    return result;
  } catch (err) {
    throw toTransformError(err);
  }
}
