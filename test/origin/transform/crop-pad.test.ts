/**
 * crop=x:y:w:h and pad=t:r:b:l on real bytes through the real pipeline: which pixels a crop keeps
 * (a four-quadrant image, every quadrant its own colour), how it combines with resize, dpr,
 * rot/flip and auto-orient, its bounds; the padding's size and colour on each edge for alpha and
 * opaque outputs; both on every frame of an animation; and the output limit counting the padding.
 */
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { transform } from '../../../origin/transform/index.js';
import { ImgedgeError } from '../../../shared/errors.js';
import { parseOptions } from '../../../shared/options/index.js';
import {
  alphaPng,
  animatedGif,
  BLUE,
  GIF_FRAMES,
  GREEN,
  orientation6Jpeg,
  RED,
  type Rgb,
  WHITE,
} from '../../support/images.js';
import { expectPixel, sniff } from './helpers.js';

const YELLOW: Rgb = { r: 255, g: 255, b: 0 };
const TRANSPARENT = { r: 0, g: 0, b: 0, alpha: 0 };

/** Opaque PNG 200×100: top-left red, top-right green, bottom-left blue, bottom-right yellow. */
async function quadrants(): Promise<Buffer> {
  const block = (background: Rgb, left: number, top: number) => ({
    input: { create: { width: 100, height: 50, channels: 3 as const, background } },
    left,
    top,
  });
  return sharp({ create: { width: 200, height: 100, channels: 3, background: RED } })
    .composite([block(GREEN, 100, 0), block(BLUE, 0, 50), block(YELLOW, 100, 50)])
    .removeAlpha()
    .png()
    .toBuffer();
}

let image: Buffer;
beforeAll(async () => {
  image = await quadrants();
});

const run = (input: Buffer, options: string, limits = {}) =>
  transform({ input, options: parseOptions(options), limits });

/** Corners and centre of the output are all `colour`. */
async function expectSolid(
  data: Buffer,
  width: number,
  height: number,
  colour: Rgb,
  page = 0,
  tolerance = 8,
) {
  for (const [x, y] of [
    [0, 0],
    [width - 1, 0],
    [0, height - 1],
    [width - 1, height - 1],
    [Math.floor(width / 2), Math.floor(height / 2)],
  ] as const) {
    await expectPixel(data, x, y, colour, tolerance, page);
  }
}

async function failure(promise: Promise<unknown>): Promise<ImgedgeError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImgedgeError);
  return err as ImgedgeError;
}

describe('crop', () => {
  it.each([
    ['0:0:100:50', RED],
    ['100:0:100:50', GREEN],
    ['0:50:100:50', BLUE],
    ['100:50:100:50', YELLOW],
  ])('crop=%s keeps exactly that quadrant', async (region, colour) => {
    const out = await run(image, `crop=${region},f=png`);
    expect([out.width, out.height]).toEqual([100, 50]);
    expect((await sniff(out.data)).width).toBe(100);
    await expectSolid(out.data, 100, 50, colour);
  });

  it('takes the region to the pixel: a 2×2 crop across the centre has one pixel of each quadrant', async () => {
    const out = await run(image, 'crop=99:49:2:2,f=png');
    expect([out.width, out.height]).toEqual([2, 2]);
    await expectPixel(out.data, 0, 0, RED, 0);
    await expectPixel(out.data, 1, 0, GREEN, 0);
    await expectPixel(out.data, 0, 1, BLUE, 0);
    await expectPixel(out.data, 1, 1, YELLOW, 0);
  });

  it('runs before the resize: w, h and fit refer to the region', async () => {
    const out = await run(image, 'crop=100:50:100:50,w=50,f=png');
    expect([out.width, out.height]).toEqual([50, 25]);
    await expectSolid(out.data, 50, 25, YELLOW);
    const cover = await run(image, 'crop=0:0:200:50,w=40,h=40,fit=cover,f=png');
    expect([cover.width, cover.height]).toEqual([40, 40]);
    // The centre of the red|green strip: red left of the middle, green right of it.
    await expectPixel(cover.data, 5, 20, RED, 8);
    await expectPixel(cover.data, 34, 20, GREEN, 8);
  });

  it('is in source pixels: dpr multiplies w, not the region', async () => {
    const out = await run(image, 'crop=0:0:100:50,w=20,dpr=2,f=png');
    expect([out.width, out.height]).toEqual([40, 20]);
    await expectSolid(out.data, 40, 20, RED);
    // Never enlarged past the region without enlarge=1.
    const small = await run(image, 'crop=0:0:100:50,w=400,f=png');
    expect([small.width, small.height]).toEqual([100, 50]);
  });

  it('comes before rot and flip (after the resize, as without crop)', async () => {
    // The top strip (red | green) turned a quarter clockwise: red on top, green below.
    const out = await run(image, 'crop=0:0:200:50,rot=90,f=png');
    expect([out.width, out.height]).toEqual([50, 200]);
    await expectPixel(out.data, 25, 10, RED, 8);
    await expectPixel(out.data, 25, 190, GREEN, 8);
  });

  it('comes before rot and flip when they run before a cover box too', async () => {
    // The right column (green over yellow), turned clockwise: yellow left, green right.
    const out = await run(image, 'crop=100:0:100:100,rot=90,w=40,h=80,fit=cover,f=png');
    expect([out.width, out.height]).toEqual([40, 80]);
    await expectPixel(out.data, 5, 40, YELLOW, 8);
    await expectPixel(out.data, 34, 40, GREEN, 8);
    const flipped = await run(image, 'crop=100:0:100:100,rot=90,flip=h,w=40,h=80,fit=cover,f=png');
    await expectPixel(flipped.data, 5, 40, GREEN, 8);
    await expectPixel(flipped.data, 34, 40, YELLOW, 8);
    const upside = await run(image, 'crop=0:0:100:100,rot=270,flip=v,w=80,h=40,fit=cover,f=png');
    // Red over blue, turned counter-clockwise: red left, blue right; flip=v leaves that.
    expect([upside.width, upside.height]).toEqual([80, 40]);
    await expectPixel(upside.data, 5, 20, RED, 8);
    await expectPixel(upside.data, 74, 20, BLUE, 8);
  });

  it('is in the auto-oriented frame (what viewers see)', async () => {
    // Displayed 200×300 with the red block in the top-right corner (x 160..200, y 0..60).
    const jpeg = await orientation6Jpeg();
    const out = await run(jpeg, 'crop=164:4:32:52,f=png');
    expect([out.width, out.height]).toEqual([32, 52]);
    // JPEG: the block's edges are soft, so keep off them and allow the codec's error.
    await expectSolid(out.data, 32, 52, RED, 0, 48);
    const grey = await run(jpeg, 'crop=0:100:150:200,f=png');
    await expectSolid(grey.data, 150, 200, { r: 128, g: 128, b: 128 }, 0, 16);
    const err = await failure(run(jpeg, 'crop=0:0:300:200'));
    expect(err.message).toContain('200×300');
  });

  it.each([
    ['1:0:200:100'],
    ['0:1:200:100'],
    ['0:0:201:1'],
    ['0:0:1:101'],
    ['200:0:1:1'],
    ['65535:65535:65535:65535'],
  ])('crop=%s outside the 200×100 source is a 400 naming its size', async (region) => {
    const err = await failure(run(image, `crop=${region}`));
    expect(err.code).toBe('invalid_option');
    expect(err.status).toBe(400);
    expect(err.message).toContain('200×100');
    expect(err.extra).toMatchObject({ key: 'crop', value: region, source_width: 200, source_height: 100 });
  });

  it('keeps every frame of an animation, each cut alike', async () => {
    const gif = await animatedGif(); // 120×90, red, green, blue
    for (const f of ['gif', 'webp']) {
      const out = await run(gif, `crop=10:20:50:40,f=${f}`);
      expect([out.width, out.height, out.frames]).toEqual([50, 40, 3]);
      const sniffed = await sniff(out.data);
      expect([sniffed.width, sniffed.height, sniffed.pages]).toEqual([50, 40, 3]);
      for (const [page, colour] of GIF_FRAMES.entries()) await expectSolid(out.data, 50, 40, colour, page);
    }
  });
});

describe('pad', () => {
  it('adds top, right, bottom, left in the order given, white around an opaque source', async () => {
    const out = await run(image, 'pad=10:20:30:40,f=png');
    expect([out.width, out.height]).toEqual([200 + 20 + 40, 100 + 10 + 30]);
    for (const [x, y] of [
      [100, 0], // top
      [100, 9],
      [259, 50], // right
      [240, 50],
      [100, 139], // bottom
      [100, 110],
      [0, 50], // left
      [39, 50],
    ] as const) {
      await expectPixel(out.data, x, y, WHITE, 0);
    }
    // The image starts at (left, top).
    await expectPixel(out.data, 40, 10, RED, 0);
    await expectPixel(out.data, 239, 10, GREEN, 0);
    await expectPixel(out.data, 40, 109, BLUE, 0);
    await expectPixel(out.data, 239, 109, YELLOW, 0);
  });

  it('one number pads all four sides; after the resize, multiplied by dpr like w', async () => {
    const out = await run(image, 'pad=5,w=100,f=png');
    expect([out.width, out.height]).toEqual([110, 60]);
    const dpr = await run(image, 'pad=5,w=100,dpr=2,f=png');
    expect([dpr.width, dpr.height]).toEqual([220, 120]);
    await expectPixel(dpr.data, 9, 60, WHITE, 0);
    await expectPixel(dpr.data, 10, 10, RED, 8);
  });

  it('is transparent around an alpha source in an alpha format, white in JPEG', async () => {
    const alpha = await alphaPng(); // 200×100, left half opaque red
    const png = await run(alpha, 'pad=8,f=png');
    expect([png.width, png.height]).toEqual([216, 116]);
    await expectPixel(png.data, 0, 0, TRANSPARENT, 0);
    await expectPixel(png.data, 8, 50, RED, 0);
    const jpeg = await run(alpha, 'pad=8,f=jpeg');
    expect([jpeg.width, jpeg.height]).toEqual([216, 116]);
    expect(jpeg.hasAlpha).toBe(false);
    await expectPixel(jpeg.data, 2, 2, WHITE, 8);
    await expectPixel(jpeg.data, 20, 50, RED, 24);
  });

  it('is bg, alpha kept where the format has it and dropped in JPEG', async () => {
    const png = await run(image, 'pad=6,bg=0000ff80,f=png');
    await expectPixel(png.data, 0, 0, { ...BLUE, alpha: 128 }, 1);
    await expectPixel(png.data, 6, 6, RED, 0);
    const jpeg = await run(image, 'pad=6,bg=00ff00,f=jpeg');
    await expectPixel(jpeg.data, 1, 1, GREEN, 16);
    const jpegAlpha = await run(image, 'pad=6,bg=0000ff80,f=jpeg');
    await expectPixel(jpegAlpha.data, 1, 1, BLUE, 16);
  });

  it('goes around a crop, a contain box and a rotation', async () => {
    const out = await run(image, 'crop=100:50:100:50,pad=1:2:3:4,rot=90,f=png');
    // The 100×50 region turned a quarter is 50×100; the padding is on the final frame.
    expect([out.width, out.height]).toEqual([50 + 2 + 4, 100 + 1 + 3]);
    await expectPixel(out.data, 4, 1, YELLOW, 0);
    await expectPixel(out.data, 3, 1, WHITE, 0);
    const contain = await run(image, 'w=60,h=60,fit=contain,pad=2,f=png');
    expect([contain.width, contain.height]).toEqual([64, 64]);
  });

  it('keeps every frame of an animation, each padded alike', async () => {
    const gif = await animatedGif();
    for (const f of ['gif', 'webp']) {
      const out = await run(gif, `pad=4:6:8:10,crop=0:0:60:45,f=${f}`);
      expect([out.width, out.height, out.frames]).toEqual([60 + 16, 45 + 12, 3]);
      const sniffed = await sniff(out.data);
      expect([sniffed.width, sniffed.height, sniffed.pages]).toEqual([76, 57, 3]);
      for (const [page, colour] of GIF_FRAMES.entries()) {
        await expectPixel(out.data, 10 + 30, 4 + 20, colour, 8, page);
      }
    }
  });

  it('counts against MAX_OUTPUT_PIXELS: the padded size is the output', async () => {
    const limits = { maxOutputPixels: 200 * 100 };
    await expect(run(image, 'f=png', limits)).resolves.toMatchObject({ width: 200, height: 100 });
    const err = await failure(run(image, 'pad=1,f=png', limits));
    expect(err.code).toBe('limit_exceeded');
    expect(err.extra).toMatchObject({ limit: 'MAX_OUTPUT_PIXELS', value: 202 * 102 });
    // A crop shrinks the output it is checked against.
    await expect(run(image, 'crop=0:0:100:100,pad=10,f=png', limits)).resolves.toMatchObject({
      width: 120,
      height: 120,
    });
  });
});
