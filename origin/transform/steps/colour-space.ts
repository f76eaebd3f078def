/**
 * sRGB: convert to 8-bit sRGB (CMYK, 16-bit, wide-gamut and grey inputs alike). All metadata is
 * stripped (sharp's default); an image that carried an ICC profile gets the compact sRGB one
 * (480 bytes) so colour-managed viewers see what was converted, never its original profile.
 */
import type { Step } from '../types.js';

export const colourSpace: Step = ({ image, source, encodeOutside }) => {
  image.toColourspace('srgb');
  // Encoded outside (avif-encoders.ts): the encoder attaches it to the pixels handed over.
  if (source.hasProfile && !encodeOutside) image.withIccProfile('srgb');
};
