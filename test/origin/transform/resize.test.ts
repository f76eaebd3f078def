/**
 * Resize/crop sizes: fits, no enlargement unless asked, dpr and its clamp, the 8192 px cap,
 * smart crop. Sizes are asserted on the result and on the bytes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { transform } from '../../../origin/transform/index.js';
import type { ImageOptions } from '../../../shared/options/types.js';
import {
  BLUE,
  borderedPng,
  GREY,
  onePixelPng,
  photoJpeg,
  RED,
  salientPng,
  strip,
  WHITE,
} from '../../support/images.js';
import { expectPixel, pixelAt, sniff } from './helpers.js';

let photo: Buffer; // 600×400

beforeAll(async () => {
  photo = await photoJpeg(600, 400);
});

async function size(input: Buffer, options: ImageOptions): Promise<[number, number]> {
  const out = await transform({ input, options });
  const meta = await sniff(out.data);
  expect([meta.width, meta.height]).toEqual([out.width, out.height]);
  return [out.width, out.height];
}

describe('fit (600×400 source, w=300,h=300)', () => {
  it.each([
    ['cover', [300, 300]],
    ['contain', [300, 300]],
    ['fill', [300, 300]],
    ['inside', [300, 200]],
    ['outside', [450, 300]],
  ] as const)('%s → %j', async (fit, expected) => {
    expect(await size(photo, { w: 300, h: 300, fit })).toEqual(expected);
  });

  it('defaults to inside', async () => {
    expect(await size(photo, { w: 300, h: 300 })).toEqual([300, 200]);
  });

  it('contain pads with white for an opaque source (bands above and below)', async () => {
    const out = await transform({ input: photo, options: { w: 300, h: 300, fit: 'contain' } });
    await expectPixel(out.data, 150, 10, WHITE, 8);
    await expectPixel(out.data, 150, 290, WHITE, 8);
  });

  it('contain pads with bg', async () => {
    const out = await transform({ input: photo, options: { w: 300, h: 300, fit: 'contain', bg: '0000ff' } });
    await expectPixel(out.data, 150, 10, BLUE, 16);
  });

  it('one side given scales to it whatever the fit', async () => {
    expect(await size(photo, { w: 150 })).toEqual([150, 100]);
    expect(await size(photo, { h: 100, fit: 'cover' })).toEqual([150, 100]);
    expect(await size(photo, { w: 150, fit: 'fill' })).toEqual([150, 100]);
  });

  it('no options: the source size', async () => {
    expect(await size(photo, {})).toEqual([600, 400]);
  });
});

describe('never upscales unless enlarge', () => {
  it('1×1 with w=100 stays 1×1; with enlarge it is 100×100', async () => {
    const px = await onePixelPng();
    expect(await size(px, { w: 100 })).toEqual([1, 1]);
    expect(await size(px, { w: 100, h: 100, fit: 'cover' })).toEqual([1, 1]);
    expect(await size(px, { w: 100, enlarge: true })).toEqual([100, 100]);
  });

  it('600×400 with w=900 stays 600×400; with enlarge 900×600', async () => {
    expect(await size(photo, { w: 900 })).toEqual([600, 400]);
    expect(await size(photo, { w: 900, enlarge: true })).toEqual([900, 600]);
  });

  it('a box larger than the source is scaled down whole, keeping its aspect ratio', async () => {
    // cover 800×800 on 600×400 → 400×400 (not 600×400, which would change the aspect).
    expect(await size(photo, { w: 800, h: 800, fit: 'cover' })).toEqual([400, 400]);
    expect(await size(photo, { w: 1200, h: 600, fit: 'fill' })).toEqual([600, 300]);
    expect(await size(photo, { w: 800, h: 800, fit: 'inside' })).toEqual([600, 400]);
    expect(await size(photo, { w: 800, h: 800, fit: 'outside' })).toEqual([600, 400]);
  });
});

describe('dpr', () => {
  it('multiplies w and h', async () => {
    expect(await size(photo, { w: 100, dpr: 2 })).toEqual([200, 133]);
    expect(await size(photo, { w: 100, h: 50, fit: 'cover', dpr: 3 })).toEqual([300, 150]);
    expect(await size(photo, { w: 100, dpr: 1.5 })).toEqual([150, 100]);
  });

  it('is clamped to the source: w=400,dpr=2 on 600 px wide is 600 px, not 800', async () => {
    expect(await size(photo, { w: 400, dpr: 2 })).toEqual([600, 400]);
  });

  it('clamps a box keeping its aspect: 300×300 cover at dpr 2 on 600×400 is 400×400', async () => {
    expect(await size(photo, { w: 300, h: 300, fit: 'cover', dpr: 2 })).toEqual([400, 400]);
  });

  it('with enlarge it is not clamped', async () => {
    expect(await size(photo, { w: 400, dpr: 2, enlarge: true })).toEqual([800, 533]);
  });
});

describe('8192 px per side at most', () => {
  it('8000×100 strip, h=200 with enlarge: 8192×102 (the free side is capped)', async () => {
    expect(await size(await strip(), { h: 200, enlarge: true })).toEqual([8192, 102]);
  });

  it('8000×100 strip, w=8000,dpr=2 with enlarge: 8192×102', async () => {
    expect(await size(await strip(), { w: 8000, dpr: 2, enlarge: true })).toEqual([8192, 102]);
  });

  it('a box past the cap shrinks whole: w=8000,h=100,dpr=4,fill,enlarge → 8192×102', async () => {
    // 32 000 × 400 scaled by 8192/32 000 (not cut to 8192 × 400).
    expect(await size(await onePixelPng(), { w: 8000, h: 100, dpr: 4, fit: 'fill', enlarge: true })).toEqual([
      8192, 102,
    ]);
  });

  it('outside cannot run past the cap: 100×8000 covering 8192×100 with enlarge → 102×8160', async () => {
    expect(await size(await strip(100, 8000), { w: 8192, h: 100, fit: 'outside', enlarge: true })).toEqual([
      102, 8160,
    ]);
  });

  it('a 9000×20 source with no options comes out 8192 wide', async () => {
    expect(await size(await strip(9000, 20), {})).toEqual([8192, 18]);
  });

  it('8000×100 strip passes through at its size, its red left quarter in place', async () => {
    const out = await transform({ input: await strip(), options: { f: 'png' } });
    expect([out.width, out.height]).toEqual([8000, 100]);
    await expectPixel(out.data, 10, 50, RED, 0);
    await expectPixel(out.data, 7990, 50, BLUE, 0);
  });
});

describe('smart crop (salientPng: grey, detailed red/yellow cells at x ≥ 340 of 400×200)', () => {
  it.each(['attention', 'entropy'] as const)(
    'g=%s keeps the detail: 100×100 with the cells on the right',
    async (g) => {
      const out = await transform({
        input: await salientPng(),
        options: { w: 100, h: 100, fit: 'cover', g },
      });
      expect([out.width, out.height]).toEqual([100, 100]);
      expect((await sniff(out.data)).width).toBe(100);
      const [r, gg, b] = await pixelAt(out.data, 92, 50);
      expect(r, `rgb(${r},${gg},${b})`).toBeGreaterThan(200);
      expect(b, `rgb(${r},${gg},${b})`).toBeLessThan(80);
      await expectPixel(out.data, 5, 50, GREY, 24);
    },
  );

  it('g=center drops it (the control)', async () => {
    const out = await transform({ input: await salientPng(), options: { w: 100, h: 100, fit: 'cover' } });
    await expectPixel(out.data, 92, 50, GREY, 24);
  });

  it('attention with a non-square box and dpr: 120×60 at dpr 1.5 is 180×90', async () => {
    const out = await transform({
      input: await salientPng(),
      options: { w: 120, h: 60, fit: 'cover', g: 'attention', dpr: 1.5 },
    });
    expect([out.width, out.height]).toEqual([180, 90]);
  });
});

describe('trim', () => {
  it('cuts the uniform border: 64×64 with a 16 px white border → the 32×32 red square', async () => {
    const out = await transform({ input: await borderedPng(), options: { trim: 10, f: 'png' } });
    expect([out.width, out.height]).toEqual([32, 32]);
    await expectPixel(out.data, 0, 0, RED, 0);
  });
});
