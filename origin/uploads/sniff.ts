import { fileTypeFromBuffer, fileTypeFromFile } from 'file-type';
import { unsupportedUpload } from './accepted.js';

/**
 * The decoder for each accepted upload (accepted.ts), by the MIME type file-type reports from the
 * magic bytes (it says image/heic for HEIC-branded HEIF).
 */
const FORMAT_OF: Record<string, string> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/avif': 'avif',
  'image/heic': 'heic',
  'image/heif': 'heic',
  'image/tiff': 'tiff',
};

/**
 * Decide the format from the bytes, never from the declared Content-Type or a file name.
 * SVG (script surface) and everything else are refused with 415.
 */
export async function sniffImageType(
  head: Uint8Array,
  path?: string,
): Promise<{ mime: string; format: string }> {
  // Some signatures need more than the head: a TIFF's first IFD is often written after the pixel
  // data, past the head, and file-type then reports nothing. Retry on the whole file (it reads only
  // what it needs).
  const type =
    (await fileTypeFromBuffer(head)) ?? (path === undefined ? undefined : await fileTypeFromFile(path));
  const format = type ? FORMAT_OF[type.mime] : undefined;
  if (!type || !format) throw unsupportedUpload(`Unsupported image type${type ? ` (${type.mime})` : ''}`);
  return { mime: type.mime, format };
}
