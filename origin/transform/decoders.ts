/**
 * Decoder allowlist for the origin process: libvips may only load the formats imgedge accepts
 * (jpeg, png, webp, gif, heif/avif, tiff). Every other loader — SVG (librsvg: scripts, external
 * references), PDF, FITS, Matlab, raw vips files, CSV/matrix — is blocked process-wide. Uploads
 * are sniffed before they are stored, so this is defence in depth, like imgproxy's allowlist.
 */
import sharp from 'sharp';

export const ALLOWED_LOADERS = [
  'VipsForeignLoadJpeg',
  'VipsForeignLoadPng',
  'VipsForeignLoadWebp',
  'VipsForeignLoadNsgif',
  'VipsForeignLoadHeif',
  'VipsForeignLoadTiff',
] as const;

/** Call once at start-up of a process that decodes untrusted images (the origin server). */
export function restrictDecoders(): void {
  sharp.block({ operation: ['VipsForeignLoad'] });
  sharp.unblock({ operation: [...ALLOWED_LOADERS] });
}
