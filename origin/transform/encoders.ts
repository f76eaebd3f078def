/**
 * Per-format encoder defaults, chosen by measurement: `npx tsx bench/encoders.ts` (sharp 0.35.5,
 * libvips 8.18.7, one image at a time). A 12 MP photo-like scene resized to 800×600 (and
 * 2000×1500), an 800×800 graphic with alpha, a 4-frame 400×300 animation; CPU ms of the encoder
 * alone; SSIM on luma and PSNR on RGB against the uncompressed pixels. The full table is in the
 * README. Criterion: the same look whatever format f=auto picks — every lossy default lands at
 * SSIM ≈ 0.962–0.965 on the 800 px photo, anchored on mozjpeg q80, the universal fallback — and
 * the effort at the knee of the time/bytes curve, since variants are made on the fly.
 *
 * - webp q80 effort 4: 32 ms, 26.0 KB, SSIM 0.9639. effort 2 is 2.5–2.8× faster but 4–8 % bigger
 *   (800/2000 px); effort 6 costs 1.5–2× more for 3–9 % fewer bytes, partly by losing quality
 *   (SSIM 0.9600). smartSubsample: 2× slower, 6 % bigger.
 * - avif q48 effort 3: 131 ms, 13.6 KB, SSIM 0.9649 (webp q80's look at 52 % of its bytes; q50
 *   overshoots to 0.9699 for +13 %). effort 4 (sharp's default) is 4.4× slower at 800 px (592 ms)
 *   and 3.6× at 2000 px (2.0 s) for 3 % / 16 % fewer bytes, and libvips' timeout cannot interrupt
 *   an AVIF encode; effort 2 is 22 % bigger at 2000 px. 4:4:4 kept: 4:2:0 saves 5 % but costs
 *   2.2 dB of RGB PSNR on the photo and 7.3 dB on the graphic's coloured edges.
 * - jpeg mozjpeg q80 (trellis, progressive, optimised scans): 23 ms, 32.3 KB, SSIM 0.9622. At
 *   equal SSIM it is 5 % smaller than libjpeg (q75 progressive: 5 ms, 34.1 KB, 0.9637) at 800 px
 *   and 12 % at 2000 px (q85 174.5 KB vs libjpeg q80 197.8 KB), for 18 ms (800 px) to ~100 ms
 *   (2000 px) more.
 * - png lossless, compressionLevel 9, no adaptive filtering: graphics with alpha (the usual PNG
 *   output: f=auto picks png only for alpha sources) 44.2 KB vs 52.7 KB at level 6 (−16 %,
 *   +14 ms); adaptive filtering makes them 13 % bigger (it helps photos, −22 %, which rarely come
 *   out as PNG). A palette is lossy on photos (SSIM 0.978), so it is used only when q is given:
 *   palette quality q, effort 7 (effort 10 is no smaller; effort 4 is 12 % bigger).
 * - gif effort 4, dither 0 (animated sources for jpeg-class clients): 115 ms, 178.2 KB, SSIM
 *   0.9929, against sharp's default (effort 7, dither 1): 350 ms, 183.8 KB, 0.9928. Effort 7
 *   without dither is 2 % smaller for 2.5× the time: a 100-frame GIF must fit the timeout. (GIF
 *   times vary up to 2× between runs on a shared machine; the ratios hold: ≥3× vs the default.)
 */
import type { AvifOptions, GifOptions, JpegOptions, PngOptions, WebpOptions } from 'sharp';
import type { OutputFormat } from '../../shared/options/types.js';

export interface EncoderDefaults {
  readonly webp: Readonly<WebpOptions>;
  readonly avif: Readonly<AvifOptions>;
  readonly jpeg: Readonly<JpegOptions>;
  readonly png: Readonly<PngOptions>;
  readonly gif: Readonly<GifOptions>;
}

export const ENCODER_DEFAULTS: EncoderDefaults = Object.freeze({
  webp: Object.freeze({ quality: 80, effort: 4 }),
  avif: Object.freeze({ quality: 48, effort: 3, chromaSubsampling: '4:4:4' }),
  jpeg: Object.freeze({ quality: 80, mozjpeg: true }),
  png: Object.freeze({ compressionLevel: 9, adaptiveFiltering: false, palette: false }),
  gif: Object.freeze({ effort: 4, dither: 0 }),
});

/** PNG with q: palette quantisation at that quality (lossless otherwise). */
const PNG_PALETTE_EFFORT = 7;

/** sharp options for `format`; `q` (1..100) overrides the default quality where there is one. */
export function encoderOptions(
  format: OutputFormat,
  q?: number,
): WebpOptions | AvifOptions | JpegOptions | PngOptions | GifOptions {
  switch (format) {
    case 'webp':
    case 'avif':
    case 'jpeg':
      return q === undefined ? { ...ENCODER_DEFAULTS[format] } : { ...ENCODER_DEFAULTS[format], quality: q };
    case 'png':
      return q === undefined
        ? { ...ENCODER_DEFAULTS.png }
        : { ...ENCODER_DEFAULTS.png, palette: true, quality: q, effort: PNG_PALETTE_EFFORT };
    case 'gif':
      // GIF has no quality scale: q does not apply.
      return { ...ENCODER_DEFAULTS.gif };
  }
}
