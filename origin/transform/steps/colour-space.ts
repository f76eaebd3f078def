/**
 * sRGB: convert to 8-bit sRGB (CMYK, 16-bit, wide-gamut and grey inputs alike). All metadata is
 * stripped (sharp's default); an image that carried an ICC profile gets the compact sRGB one
 * (480 bytes) so colour-managed viewers see what was converted, never its original profile.
 */
import type { Step } from '../types.js';

export const colourSpace: Step = ({ image, source }) => {
  image.toColourspace('srgb');
  if (source.hasProfile) image.withIccProfile('srgb');
};
