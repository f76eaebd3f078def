/**
 * Whether the encoded bytes carry alpha. The pipeline's channel count says so for every format
 * but WebP: libwebp leaves out an alpha plane that is fully opaque. Read from the RIFF header.
 */
import type { OutputFormat } from '../../shared/options/types.js';

export function encodedHasAlpha(format: OutputFormat, data: Buffer, pipelineHasAlpha: boolean): boolean {
  if (!pipelineHasAlpha || format === 'jpeg') return false;
  return format === 'webp' ? webpHasAlpha(data) : true;
}

/** RIFF....WEBP then VP8X (flags bit 0x10 = alpha), VP8L (header bit 28 = alpha used) or VP8 (none). */
export function webpHasAlpha(data: Buffer): boolean {
  if (
    data.length < 30 ||
    data.toString('latin1', 0, 4) !== 'RIFF' ||
    data.toString('latin1', 8, 12) !== 'WEBP'
  ) {
    return false;
  }
  const chunk = data.toString('latin1', 12, 16);
  if (chunk === 'VP8X') return ((data[20] ?? 0) & 0x10) !== 0;
  if (chunk === 'VP8L') return (((data[24] ?? 0) >> 4) & 1) === 1;
  return false;
}
