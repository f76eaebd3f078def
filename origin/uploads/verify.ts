/**
 * Decode an upload once, into a thumbnail that is thrown away, so truncated or corrupt pixel data
 * is refused with 422 at upload instead of being stored and failing at its first variant. The
 * header alone (probe) cannot tell: a JPEG cut in half has an intact header. Shrink-on-load keeps
 * this cheap (≈30 ms for a 12 MP JPEG) while the decoder still reads every byte of the scan data.
 */
import sharp from 'sharp';
import { ImgedgeError, isImgedgeError } from '../../shared/errors.js';
import { toTransformError } from '../transform/errors.js';
import { unsupportedUpload } from './accepted.js';

export async function verifyDecodes(
  path: string,
  options: { maxInputPixels: number; animated: boolean },
): Promise<void> {
  try {
    await sharp(path, {
      failOn: 'error',
      limitInputPixels: Math.max(1, options.maxInputPixels),
      sequentialRead: true,
      animated: options.animated,
    })
      .resize(64, 64, { fit: 'inside' })
      .raw()
      .toBuffer();
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
