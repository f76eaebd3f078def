/**
 * fit=crop and the focal point g=<x>x<y> (Cloudflare's meanings, shared by both URL forms): sizes
 * on the result and the bytes, and where pixels land, on generated images whose every region has
 * its own colour. Cloudflare's own examples (features page: fit, gravity) are checked as written.
 */
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { transform } from '../../../origin/transform/index.js';
import type { FocalPoint, ImageOptions } from '../../../shared/options/types.js';
import { animatedGif, GREY, RED, type Rgb, WHITE } from '../../support/images.js';
import { expectPixel, sniff } from './helpers.js';

/** Distinct band colours, in order. */
const BANDS: readonly Rgb[] = [
  { r: 255, g: 0, b: 0 },
  { r: 0, g: 255, b: 0 },
  { r: 0, g: 0, b: 255 },
  { r: 255, g: 255, b: 0 },
  { r: 0, g: 255, b: 255 },
  { r: 255, g: 0, b: 255 },
  { r: 255, g: 255, b: 255 },
  { r: 0, g: 0, b: 0 },
  { r: 128, g: 128, b: 128 },
];

/** PNG of `count` equal bands (vertical: left to right; horizontal: top to bottom) of BANDS. */
async function bands(width: number, height: number, count: number, vertical = true): Promise<Buffer> {
  const size = vertical ? width / count : height / count;
  const composite = BANDS.slice(0, count).map((colour, i) => ({
    input: {
      create: {
        width: vertical ? size : width,
        height: vertical ? height : size,
        channels: 3 as const,
        background: colour,
      },
    },
    left: vertical ? i * size : 0,
    top: vertical ? 0 : i * size,
  }));
  return sharp({ create: { width, height, channels: 3, background: GREY } })
    .composite(composite)
    .removeAlpha()
    .png()
    .toBuffer();
}

/** PNG width×height of grey with a 20×20 red marker centred on (cx, cy). */
function marker(width: number, height: number, cx: number, cy: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: GREY } })
    .composite([
      {
        input: { create: { width: 20, height: 20, channels: 3, background: RED } },
        left: cx - 10,
        top: cy - 10,
      },
    ])
    .removeAlpha()
    .png()
    .toBuffer();
}

/** `g` for a point given as fractions. */
const point = (x: number, y: number) => `${x.toFixed(3)}x${y.toFixed(3)}` as FocalPoint;

async function run(input: Buffer, options: ImageOptions) {
  const out = await transform({ input, options: { f: 'png', ...options } });
  const meta = await sniff(out.data);
  expect([meta.width, meta.height]).toEqual([out.width, out.height]);
  return out;
}

async function size(input: Buffer, options: ImageOptions): Promise<[number, number]> {
  const out = await run(input, options);
  return [out.width, out.height];
}

let flat600: Buffer; // 600×400

beforeAll(async () => {
  flat600 = await bands(600, 400, 3);
});

describe('fit=crop: cover the box by shrinking only', () => {
  it.each<[string, ImageOptions, [number, number]]>([
    ['a box the source covers: like cover', { w: 300, h: 300 }, [300, 300]],
    ['a box larger than the source: the source size', { w: 800, h: 800 }, [600, 400]],
    ['narrower but taller than the source: the height is kept', { w: 500, h: 800 }, [500, 400]],
    ['wider but lower than the source: the width is kept', { w: 800, h: 200 }, [600, 200]],
    ['dpr multiplies the box', { w: 150, h: 150, dpr: 2 }, [300, 300]],
    ['enlarge does not apply', { w: 800, h: 800, enlarge: true }, [600, 400]],
    ['a quarter turn: the box is in the final axes', { w: 200, h: 300, rot: 90 }, [200, 300]],
  ])('%s: 600×400 %j → %j', async (_label, options, expected) => {
    expect(await size(flat600, { fit: 'crop', ...options })).toEqual(expected);
  });

  it('differs from cover without enlarge, which keeps the box aspect (800×800 → 400×400)', async () => {
    expect(await size(flat600, { w: 800, h: 800, fit: 'cover' })).toEqual([400, 400]);
  });

  it('crops with the gravity: g=west keeps the left band, g=east the right one', async () => {
    const west = await run(flat600, { w: 200, h: 400, fit: 'crop', g: 'west' });
    await expectPixel(west.data, 100, 200, BANDS[0] as Rgb, 4);
    const east = await run(flat600, { w: 200, h: 400, fit: 'crop', g: 'east' });
    await expectPixel(east.data, 100, 200, BANDS[2] as Rgb, 4);
  });
});

describe('g=<x>x<y>: the box point (x, y) lies on the image point (x, y)', () => {
  it("Cloudflare's example: 900×900 to 300×900 at 0.33x0.5 starts at 0.33 × (900 − 300) = 198", async () => {
    const input = await bands(900, 900, 9);
    for (const fit of ['cover', 'crop'] as const) {
      const out = await run(input, { w: 300, h: 900, fit, g: '0.33x0.5' });
      expect([out.width, out.height]).toEqual([300, 900]);
      // Output column c is source column 198 + c: bands of 100 px.
      await expectPixel(out.data, 20, 450, BANDS[2] as Rgb, 4); // 218
      await expectPixel(out.data, 150, 450, BANDS[3] as Rgb, 4); // 348
      await expectPixel(out.data, 290, 450, BANDS[4] as Rgb, 4); // 488
    }
  });

  it('0x0, 1x1 and 0x1 keep the corners; 0.5x0.5 is the centre', async () => {
    const input = await bands(900, 300, 9);
    const at = async (g: FocalPoint, x: number, band: number) => {
      const out = await run(input, { w: 100, h: 300, fit: 'cover', g });
      await expectPixel(out.data, x, 150, BANDS[band] as Rgb, 4);
    };
    await at('0x0', 50, 0);
    await at('1x1', 50, 8);
    await at('0x1', 50, 0);
    await at('0.5x0.5', 50, 4);
  });

  it('moves a vertical crop too (0.5x0.9 of 6 horizontal bands keeps band 5 at the bottom)', async () => {
    const input = await bands(300, 600, 6, false);
    const out = await run(input, { w: 300, h: 200, fit: 'cover', g: '0.5x0.9' });
    // 0.9 × (600 − 200) = 360: rows 360..560.
    await expectPixel(out.data, 150, 10, BANDS[3] as Rgb, 4); // 370
    await expectPixel(out.data, 150, 190, BANDS[5] as Rgb, 4); // 550
  });

  // A 20 px marker at the focal point, the image halved by the crop: it lands at (x·W, y·H).
  const SPOTS: [number, number][] = [
    [10, 10],
    [100, 150],
    [200, 290],
    [390, 10],
    [390, 290],
    [250, 60],
  ];

  it.each(SPOTS)('the focal point stays in frame: marker at (%i, %i) of 400×300', async (cx, cy) => {
    const input = await marker(400, 300, cx, cy);
    const [fx, fy] = [cx / 400, cy / 300];
    for (const [w, h] of [
      [150, 150],
      [100, 150],
      [200, 60],
    ] as const) {
      const out = await run(input, { w, h, fit: 'cover', g: point(fx, fy) });
      expect([out.width, out.height]).toEqual([w, h]);
      await expectPixel(out.data, Math.round(fx * (w - 1)), Math.round(fy * (h - 1)), RED, 64);
    }
  });

  it.each(SPOTS)('with rot=90 and flip=h the point follows the image (marker at %i, %i)', async (cx, cy) => {
    const input = await marker(400, 300, cx, cy);
    const [fx, fy] = [cx / 400, cy / 300];
    const out = await run(input, {
      w: 150,
      h: 150,
      fit: 'cover',
      g: point(fx, fy),
      rot: 90,
      flip: 'h',
    });
    // Rotated clockwise, (x, y) is at (1 − y, x); mirrored left-right, at (y, x).
    await expectPixel(out.data, Math.round(fy * 149), Math.round(fx * 149), RED, 64);
  });

  it.each(SPOTS)('with rot=180 and flip=v the point follows the image (marker at %i, %i)', async (cx, cy) => {
    const input = await marker(400, 300, cx, cy);
    const [fx, fy] = [cx / 400, cy / 300];
    const out = await run(input, {
      w: 150,
      h: 150,
      fit: 'cover',
      g: point(fx, fy),
      rot: 180,
      flip: 'v',
    });
    // Turned half way, (x, y) is at (1 − x, 1 − y); mirrored top-bottom, at (1 − x, y).
    await expectPixel(out.data, Math.round((1 - fx) * 149), Math.round(fy * 149), RED, 64);
  });

  it('with enlarge the box may be larger than the source', async () => {
    const input = await bands(300, 100, 3);
    const out = await run(input, { w: 600, h: 600, fit: 'cover', enlarge: true, g: '0x0' });
    expect([out.width, out.height]).toEqual([600, 600]);
    await expectPixel(out.data, 300, 300, BANDS[0] as Rgb, 4);
  });

  it('contain has nothing to crop: the image is centred', async () => {
    const out = await run(flat600, { w: 300, h: 300, fit: 'contain', g: '0x0' });
    await expectPixel(out.data, 150, 10, WHITE, 4);
    await expectPixel(out.data, 150, 290, WHITE, 4);
    await expectPixel(out.data, 150, 150, BANDS[1] as Rgb, 4);
  });

  it('with trim the crop falls back to the centre (the trimmed frame is unknown before decoding)', async () => {
    const inner = await bands(400, 200, 4);
    const framed = await sharp({ create: { width: 420, height: 220, channels: 3, background: WHITE } })
      .composite([{ input: inner, left: 10, top: 10 }])
      .png()
      .toBuffer();
    const out = await run(framed, { trim: 10, w: 100, h: 200, fit: 'cover', g: '0x0.5' });
    expect([out.width, out.height]).toEqual([100, 200]);
    await expectPixel(out.data, 25, 100, BANDS[1] as Rgb, 4);
    await expectPixel(out.data, 75, 100, BANDS[2] as Rgb, 4);
  });

  it('keeps an animation: every frame cropped to the box', async () => {
    const out = await transform({
      input: await animatedGif(),
      options: { w: 60, h: 90, fit: 'cover', g: '0x0.5', f: 'webp' },
    });
    expect([out.width, out.height, out.frames]).toEqual([60, 90, 3]);
    expect((await sniff(out.data)).pages).toBe(3);
  });
});
