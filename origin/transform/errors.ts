/**
 * sharp/libvips errors → ImgedgeError. sharp rejects with plain Errors whose messages come from
 * libvips; these are the stable prefixes of the three failures a client can cause.
 */
import { ImgedgeError, isImgedgeError } from '../../shared/errors.js';

const TIMEOUT = /^timeout: \d+% complete/;
const PIXEL_LIMIT = /exceeds pixel limit/i;
/** Decoder failures: unknown format, truncated or corrupt data, whatever the loader. */
const UNDECODABLE =
  /unsupported image format|input buffer is empty|premature end|corrupt|truncated|VipsJpeg|vipspng|libpng|gifload|cgif|webpload|heifload|tiff2vips|VipsForeignLoad|load_(buffer|source|file)|read error|not a known (file )?format|bad (seek|header)|invalid (data|header)/i;

export function toTransformError(err: unknown): unknown {
  if (isImgedgeError(err) || !(err instanceof Error)) return err;
  const message = err.message;
  if (TIMEOUT.test(message)) {
    return new ImgedgeError('transform_timeout', 'Image processing took longer than the limit', {
      cause: err,
    });
  }
  if (PIXEL_LIMIT.test(message)) {
    return new ImgedgeError('image_too_large', 'The image exceeds the pixel limit', { cause: err });
  }
  if (UNDECODABLE.test(message)) {
    // The libvips message stays in `cause` (for logs): with a file input it can name a server path.
    return new ImgedgeError('invalid_image', 'The image could not be decoded', { cause: err });
  }
  return err;
}
