/**
 * Makes the mezzanine of an original (policy.ts): auto-orient, fit inside MEZZANINE_EDGE, 8-bit
 * sRGB (CMYK, 16-bit, wide-gamut converted; the sRGB profile embedded when the original carried
 * one, so variants made from it are tagged as the original's are), alpha kept; no other metadata.
 */
import sharp from 'sharp';
import { toTransformError } from '../transform/errors.js';
import { decoderOptions } from '../transform/steps/load.js';
import { MEZZANINE_EDGE, mezzanineShape, type OriginalFacts } from './policy.js';

export async function makeMezzanine(
  original: Buffer,
  facts: OriginalFacts,
  maxInputPixels: number,
): Promise<Buffer | undefined> {
  const shape = mezzanineShape(facts);
  if (!shape) return undefined;
  try {
    return await encode(original, maxInputPixels);
  } catch (err) {
    // Undecodable, over the pixel cap…: the ImgedgeError a transform would give.
    throw toTransformError(err);
  }
}

async function encode(original: Buffer, maxInputPixels: number): Promise<Buffer> {
  const image = sharp(original, decoderOptions({ maxInputPixels }))
    .autoOrient()
    .resize({ width: MEZZANINE_EDGE, height: MEZZANINE_EDGE, fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb');
  const { hasProfile } = await sharp(original).metadata();
  if (hasProfile) image.withIccProfile('srgb');
  return image.png({ compressionLevel: 0, adaptiveFiltering: false }).toBuffer();
}
