/**
 * Makes the mezzanine of an original (policy.ts): auto-orient, fit inside MEZZANINE_EDGE, 8-bit
 * sRGB (CMYK, 16-bit, wide-gamut converted), alpha kept. No ICC profile: an embedded one would
 * make every variant convert all of the mezzanine's pixels through it (≈30 of ≈120 ms CPU for a
 * 2048×1536 one → 800 px WebP); when the original carried one, an XMP packet says so instead
 * (STANDS_FOR_PROFILE_XMP), so variants made from it are tagged sRGB as the original's are. No
 * other metadata.
 */
import sharp from 'sharp';
import { toTransformError } from '../transform/errors.js';
import { STANDS_FOR_PROFILE_XMP } from '../transform/source.js';
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
  if (hasProfile) image.withXmp(STANDS_FOR_PROFILE_XMP);
  return image.png({ compressionLevel: 0, adaptiveFiltering: false }).toBuffer();
}
