/**
 * The upload types imgedge accepts: the one list both 415 answers give (a file that is no accepted
 * image, and HEIC/HEIF compressed with HEVC, which sharp's prebuilt libvips cannot decode), in
 * `accepted` (MIME types) and in the detail's words.
 */
import { ImgedgeError } from '../../shared/errors.js';

export const ACCEPTED_UPLOAD_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'image/avif',
  'image/heif',
  'image/tiff',
] as const;

/** "jpeg, png, …": HEIF named with what it may contain. */
const ACCEPTED_WORDS = ACCEPTED_UPLOAD_TYPES.map((t) =>
  t === 'image/heif' ? 'heif/heic with AV1 (not HEVC)' : t.slice('image/'.length),
).join(', ');

/** 415 unsupported_media_type: `reason`, then the accepted list. */
export function unsupportedUpload(reason: string, cause?: unknown): ImgedgeError {
  return new ImgedgeError('unsupported_media_type', `${reason}; accepted: ${ACCEPTED_WORDS}`, {
    extra: { accepted: [...ACCEPTED_UPLOAD_TYPES] },
    cause,
  });
}
