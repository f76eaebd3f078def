/**
 * Decode an upload once, into a small thumbnail, so truncated or corrupt pixel data is refused
 * with 422 at upload instead of being stored and failing at its first variant. The header alone
 * (probe) cannot tell: a JPEG cut in half has an intact header. Shrink-on-load keeps this cheap
 * (≈30–60 ms for a 12 MP JPEG) while the decoder still reads every byte of the scan data.
 *
 * The thumbnail is what the placeholder is computed from (images/placeholder.ts): at most
 * 100×100, auto-oriented, 8-bit sRGB with alpha, the first frame of an animation (with `animated`
 * every frame is still decoded, so a broken later frame is refused too). The backfill of older
 * images decodes their originals through the same function, with the same `animated`.
 */
import sharp from 'sharp';
import { ImgedgeError, isImgedgeError } from '../../shared/errors.js';
import { PLACEHOLDER_BOX, type Thumbnail } from '../images/placeholder.js';
import { toTransformError } from '../transform/errors.js';
import { unsupportedUpload } from './accepted.js';

export async function verifyDecodes(
  input: string | Buffer,
  options: { maxInputPixels: number; animated: boolean },
): Promise<Thumbnail> {
  try {
    const { data, info } = await sharp(input, {
      failOn: 'error',
      limitInputPixels: Math.max(1, options.maxInputPixels),
      sequentialRead: true,
      animated: options.animated,
    })
      .autoOrient()
      .resize(PLACEHOLDER_BOX, PLACEHOLDER_BOX, { fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb')
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    // Frames are stacked vertically in the raw output: keep the first.
    const height = info.pageHeight ?? info.height;
    const rgba = new Uint8Array(data.buffer, data.byteOffset, info.width * height * 4);
    return { width: info.width, height, rgba };
  } catch (err) {
    // HEIC/HEIF with HEVC inside: sharp's prebuilt libvips carries no HEVC decoder (patents), so
    // such a file is a format this origin cannot process, not a damaged image.
    if (err instanceof Error && /compression format has not been built in/i.test(err.message)) {
      throw unsupportedUpload('HEIC/HEIF images compressed with HEVC cannot be decoded here', err);
    }
    const mapped = toTransformError(err);
    if (isImgedgeError(mapped)) throw mapped;
    // Whatever else libvips says about a local file it just failed to decode: it is not an image.
    throw new ImgedgeError('invalid_image', 'The image could not be decoded', { cause: err });
  }
}
