/**
 * sRGB: convert to 8-bit sRGB (CMYK, 16-bit, wide-gamut and grey inputs alike). All metadata is
 * stripped (sharp's default); an image that carried an ICC profile gets the compact sRGB one
 * (480 bytes) so colour-managed viewers see what was converted, never its original profile.
 *
 * A stand-in for the original (a mezzanine: sRGB pixels, tagged with that same profile when the
 * original had one) keeps its profile as it is: no pass through lcms on the way in or out
 * (withIccProfile would convert sRGB to sRGB, ≈4 ms CPU of an 800 px variant's ≈70, for the same
 * pixels).
 */
import type { Step } from '../types.js';

export const colourSpace: Step = ({ image, source, encodeOutside, standIn }) => {
  image.toColourspace('srgb');
  if (!source.hasProfile) return;
  if (standIn) {
    image.keepIccProfile();
    return;
  }
  // Encoded outside (avif-encoders.ts): the encoder attaches it to the raw pixels handed over.
  if (!encodeOutside) image.withIccProfile('srgb');
};
