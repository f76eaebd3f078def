/**
 * Makes the mezzanine of an original (policy.ts), every level: auto-orient, fit inside the top
 * level, 8-bit sRGB (CMYK, 16-bit, wide-gamut converted), alpha kept; each lower level resized
 * from the top level's pixels (decoded once). When the original carried an ICC profile, the levels
 * carry the compact sRGB one (what its variants are tagged with), which a variant keeps as it is:
 * no pass of the level's or the output's pixels through lcms (steps/colour-space.ts); without one,
 * none. No other metadata.
 */
import sharp from 'sharp';
import { toTransformError } from '../transform/errors.js';
import { decoderOptions } from '../transform/steps/load.js';
import { type MezzanineLevel, mezzanineLevels, type OriginalFacts } from './policy.js';

export interface MadeLevel extends MezzanineLevel {
  data: Buffer;
}

/** Every level, largest first; undefined when the original gets none. */
export async function makeMezzanine(
  original: Buffer,
  facts: OriginalFacts,
  maxInputPixels: number,
): Promise<MadeLevel[] | undefined> {
  const levels = mezzanineLevels(facts);
  if (!levels) return undefined;
  try {
    return await encode(original, levels, maxInputPixels);
  } catch (err) {
    // Undecodable, over the pixel cap…: the ImgedgeError a transform would give.
    throw toTransformError(err);
  }
}

async function encode(
  original: Buffer,
  levels: MezzanineLevel[],
  maxInputPixels: number,
): Promise<MadeLevel[]> {
  const [top] = levels;
  if (!top) return [];
  const { data, info } = await sharp(original, decoderOptions({ maxInputPixels }))
    .autoOrient()
    .resize({ width: top.width, height: top.height, fit: 'fill', withoutEnlargement: true })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { hasProfile } = await sharp(original).metadata();
  const raw = { width: info.width, height: info.height, channels: info.channels };
  return Promise.all(
    levels.map(async (level) => {
      const image = sharp(data, { raw });
      if (level !== top) image.resize({ width: level.width, height: level.height, fit: 'fill' });
      if (hasProfile) image.withIccProfile('srgb');
      const png = await image.png({ compressionLevel: 0, adaptiveFiltering: false }).toBuffer();
      return { ...level, data: png };
    }),
  );
}
