/** The measured encoder defaults are what the bytes show, and q overrides the quality. */
import { describe, expect, it } from 'vitest';
import { ENCODER_DEFAULTS, encoderOptions, transform } from '../../../origin/transform/index.js';
import { graphicAlphaPng, photoJpeg } from '../../support/images.js';
import { sniff } from './helpers.js';

describe('encoder options', () => {
  it('q overrides the quality of lossy formats and leaves the rest', () => {
    expect(encoderOptions('webp', 55)).toEqual({ ...ENCODER_DEFAULTS.webp, quality: 55 });
    expect(encoderOptions('avif', 30)).toEqual({ ...ENCODER_DEFAULTS.avif, quality: 30 });
    expect(encoderOptions('jpeg', 90)).toEqual({ ...ENCODER_DEFAULTS.jpeg, quality: 90 });
    expect(encoderOptions('jpeg')).toEqual(ENCODER_DEFAULTS.jpeg);
  });

  it('q on png asks for a palette at that quality; without q png is lossless', () => {
    expect(encoderOptions('png')).toMatchObject({ palette: false });
    expect(encoderOptions('png', 70)).toMatchObject({ palette: true, quality: 70 });
  });

  it('gif has no quality scale', () => {
    expect(encoderOptions('gif', 10)).toEqual(ENCODER_DEFAULTS.gif);
  });

  it('returns copies, and the defaults are frozen', () => {
    const opts = encoderOptions('webp') as { quality: number };
    opts.quality = 1;
    expect(ENCODER_DEFAULTS.webp.quality).toBe(80);
    expect(Object.isFrozen(ENCODER_DEFAULTS.avif)).toBe(true);
  });

  it('are the measured choices (origin/transform/encoders.ts cites the figures)', () => {
    expect(ENCODER_DEFAULTS).toEqual({
      webp: { quality: 80, effort: 4 },
      avif: { quality: 48, effort: 3, chromaSubsampling: '4:4:4' },
      jpeg: { quality: 80, mozjpeg: true },
      png: { compressionLevel: 9, adaptiveFiltering: false, palette: false },
      gif: { effort: 4, dither: 0 },
    });
  });
});

describe('in the bytes', () => {
  it('jpeg is mozjpeg: progressive', async () => {
    const out = await transform({ input: await photoJpeg(160, 120), options: { f: 'jpeg' } });
    expect((await sniff(out.data)).isProgressive).toBe(true);
  });

  it.each(['jpeg', 'webp', 'avif'] as const)('%s: a lower q gives fewer bytes', async (f) => {
    const input = await photoJpeg(320, 240);
    const normal = await transform({ input, options: { f } });
    const low = await transform({ input, options: { f, q: 20 } });
    expect(low.bytes).toBeLessThan(normal.bytes * 0.8);
  });

  it('png: lossless by default, a palette with q', async () => {
    const input = await graphicAlphaPng(200, 200);
    const lossless = await transform({ input, options: { f: 'png' } });
    const palette = await transform({ input, options: { f: 'png', q: 80 } });
    expect((await sniff(lossless.data)).isPalette).toBe(false);
    expect((await sniff(palette.data)).isPalette).toBe(true);
    expect(palette.bytes).toBeLessThan(lossless.bytes);
  });
});
