/**
 * Output format: explicit f, and f=auto from the edge's capability class plus the source
 * (alpha → png instead of jpeg; animation → webp/gif). Asserted by sniffing the bytes.
 */
import { describe, expect, it } from 'vitest';
import { transform } from '../../../origin/transform/index.js';
import { AVIF_MAX_PIXELS } from '../../../origin/transform/output.js';
import { planTransform } from '../../../origin/transform/plan.js';
import type { SourceInfo } from '../../../origin/transform/types.js';
import type { FormatClass } from '../../../shared/options/negotiate.js';
import type { OutputFormat } from '../../../shared/options/types.js';
import { alphaPng, animatedGif, largeFlatPng, photoJpeg, RED } from '../../support/images.js';
import { expectPixel, pixelAt, sniff } from './helpers.js';

/** sharp's decoder name for each output format (AVIF is read by the HEIF loader). */
const SNIFFED: Record<OutputFormat, string> = {
  avif: 'heif',
  webp: 'webp',
  jpeg: 'jpeg',
  png: 'png',
  gif: 'gif',
};
const CONTENT_TYPE: Record<OutputFormat, string> = {
  avif: 'image/avif',
  webp: 'image/webp',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
};

describe('explicit f', () => {
  it.each(['avif', 'webp', 'jpeg', 'png', 'gif'] as const)('f=%s writes %s', async (f) => {
    const out = await transform({ input: await photoJpeg(160, 120), options: { f, w: 80 } });
    expect(out.format).toBe(f);
    expect(out.contentType).toBe(CONTENT_TYPE[f]);
    expect(out.bytes).toBe(out.data.length);
    const meta = await sniff(out.data);
    expect(meta.format).toBe(SNIFFED[f]);
    expect([meta.width, meta.height]).toEqual([80, 60]);
  });

  it('f wins over autoClass', async () => {
    const out = await transform({
      input: await photoJpeg(64, 48),
      options: { f: 'png' },
      autoClass: 'avif',
    });
    expect((await sniff(out.data)).format).toBe('png');
  });
});

describe('f=auto', () => {
  const opaque = [
    [undefined, 'jpeg'],
    ['jpeg', 'jpeg'],
    ['webp', 'webp'],
    ['avif', 'avif'],
  ] as const;

  it.each(opaque)('opaque photo, target %s → %s', async (autoClass, expected) => {
    const req = { input: await photoJpeg(64, 48), options: { f: 'auto' as const } };
    const out = await transform(autoClass === undefined ? req : { ...req, autoClass });
    expect(out.format).toBe(expected);
    expect((await sniff(out.data)).format).toBe(SNIFFED[expected]);
  });

  it('an absent f means auto', async () => {
    const out = await transform({ input: await photoJpeg(64, 48), options: {}, autoClass: 'webp' });
    expect((await sniff(out.data)).format).toBe('webp');
  });

  const alpha: Array<[FormatClass, OutputFormat]> = [
    ['jpeg', 'png'],
    ['webp', 'webp'],
    ['avif', 'avif'],
  ];

  it.each(alpha)('alpha source, target %s → %s with the alpha kept', async (autoClass, expected) => {
    const out = await transform({ input: await alphaPng(), options: {}, autoClass });
    expect(out.format).toBe(expected);
    expect(out.hasAlpha).toBe(true);
    const meta = await sniff(out.data);
    expect(meta.format).toBe(SNIFFED[expected]);
    expect(meta.hasAlpha).toBe(true);
    await expectPixel(out.data, 50, 50, RED);
    expect((await pixelAt(out.data, 150, 50))[3]).toBe(0);
  });

  it('alpha source with an opaque bg, target jpeg → jpeg (flattened, nothing to keep)', async () => {
    const out = await transform({ input: await alphaPng(), options: { bg: '2060c0' }, autoClass: 'jpeg' });
    expect(out.format).toBe('jpeg');
    expect(out.hasAlpha).toBe(false);
    await expectPixel(out.data, 150, 50, { r: 0x20, g: 0x60, b: 0xc0 }, 16);
  });

  const animated: Array<[FormatClass, OutputFormat]> = [
    ['jpeg', 'gif'],
    ['webp', 'webp'],
    ['avif', 'webp'],
  ];

  it.each(animated)('animated source, target %s → animated %s', async (autoClass, expected) => {
    const out = await transform({ input: await animatedGif(), options: {}, autoClass });
    expect(out.format).toBe(expected);
    expect(out.frames).toBe(3);
    const meta = await sniff(out.data);
    expect(meta.format).toBe(expected);
    expect(meta.pages).toBe(3);
  });

  it('animated source with anim=0, target avif → a single-frame avif', async () => {
    const out = await transform({ input: await animatedGif(), options: { anim: false }, autoClass: 'avif' });
    expect(out.format).toBe('avif');
    expect(out.frames).toBe(1);
    const meta = await sniff(out.data);
    expect(meta.format).toBe('heif');
    expect(meta.pages).toBe(1);
  });
});

describe('hasAlpha says what the bytes carry', () => {
  // The 3-frame GIF decodes with an (opaque) alpha channel; libwebp drops an opaque alpha plane.
  const cases = [
    ['photo', 'webp', false],
    ['photo', 'png', false],
    ['alpha', 'avif', true],
    ['alpha', 'webp', true],
    ['alpha', 'png', true],
    ['alpha', 'gif', true],
    ['alpha', 'jpeg', false],
    ['gif', 'webp', false],
    ['gif', 'png', true],
  ] as const;

  it.each(cases)('%s → %s: %s', async (source, f, expected) => {
    const input =
      source === 'photo'
        ? await photoJpeg(64, 48)
        : source === 'alpha'
          ? await alphaPng()
          : await animatedGif();
    const out = await transform({ input, options: { f } });
    expect(out.hasAlpha).toBe(expected);
    expect((await sniff(out.data)).hasAlpha).toBe(expected);
  });
});

describe('AVIF size cap', () => {
  const source = (width: number, height: number): SourceInfo => ({
    format: 'jpeg',
    width,
    height,
    pages: 1,
    animated: false,
    hasAlpha: false,
    hasProfile: false,
  });

  it('serves outputs over AVIF_MAX_PIXELS as webp, whether avif was explicit or negotiated', () => {
    expect(AVIF_MAX_PIXELS).toBe(3840 * 2160);
    expect(planTransform({ f: 'avif' }, source(4000, 3000), 'jpeg').format).toBe('webp');
    expect(planTransform({}, source(4000, 3000), 'avif').format).toBe('webp');
    expect(
      planTransform({ f: 'avif', w: 3840, h: 2160, fit: 'fill' }, source(4000, 3000), 'jpeg').format,
    ).toBe('avif');
    expect(planTransform({ f: 'avif', w: 800 }, source(4000, 3000), 'jpeg').format).toBe('avif');
    // One side given: the real output (2400×1800 = 4.3 MP), not the 2400×8192 box, is what counts.
    expect(planTransform({ f: 'avif', w: 2400 }, source(4000, 3000), 'jpeg').format).toBe('avif');
    expect(planTransform({ f: 'avif', h: 2400 }, source(4000, 3000), 'jpeg').format).toBe('avif');
    // inside never enlarges: a 12 MP source asked for 9000 px wide stays 12 MP → webp.
    expect(planTransform({ f: 'avif', w: 8000 }, source(4000, 3000), 'jpeg').format).toBe('webp');
    // dpr multiplies the box: 2000×1500 at dpr 2 is 4000×3000, over the cap.
    expect(planTransform({ f: 'avif', w: 2000, dpr: 2 }, source(4000, 3000), 'jpeg').format).toBe('webp');
  });

  it('a real transform of an 8.6 MP source with f=avif comes out as webp', async () => {
    const out = await transform({ input: await largeFlatPng(3900, 2200), options: { f: 'avif' } });
    expect(out.format).toBe('webp');
    expect((await sniff(out.data)).format).toBe('webp');
    expect([out.width, out.height]).toEqual([3900, 2200]);
  });
});
