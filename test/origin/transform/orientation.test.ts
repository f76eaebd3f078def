/**
 * EXIF orientation, rot and flip, asserted by where a coloured corner lands.
 * orientation6Jpeg: stored 300×200 with a red 60×40 block top-left; displayed (rotated 90° cw)
 * 200×300 with the red block (40×60) in the top-right corner.
 */
import { describe, expect, it } from 'vitest';
import { transform } from '../../../origin/transform/index.js';
import { BLUE, GREY, orientation6Jpeg, RED, strip, WHITE } from '../../support/images.js';
import { expectPixel, sniff } from './helpers.js';

describe('auto-orient', () => {
  it('applies EXIF orientation 6: 300×200 stored → 200×300, red corner top-right', async () => {
    const out = await transform({ input: await orientation6Jpeg(), options: {} });
    expect([out.width, out.height]).toEqual([200, 300]);
    const meta = await sniff(out.data);
    expect([meta.width, meta.height]).toEqual([200, 300]);
    expect(meta.orientation).toBeUndefined();
    await expectPixel(out.data, 190, 10, RED);
    await expectPixel(out.data, 10, 10, GREY);
    await expectPixel(out.data, 190, 290, GREY);
  });

  it('resizes in display axes: w=100 of the 200×300 display is 100×150', async () => {
    const out = await transform({ input: await orientation6Jpeg(), options: { w: 100 } });
    expect([out.width, out.height]).toEqual([100, 150]);
    await expectPixel(out.data, 95, 5, RED);
    await expectPixel(out.data, 5, 5, GREY);
  });
});

describe('rot (clockwise, after auto-orient)', () => {
  it.each([
    [90, [300, 200], [290, 190]],
    [180, [200, 300], [10, 290]],
    [270, [300, 200], [10, 10]],
  ] as const)('rot=%i → %j with the red corner at %j', async (rot, size, red) => {
    const out = await transform({ input: await orientation6Jpeg(), options: { rot } });
    expect([out.width, out.height]).toEqual(size);
    const meta = await sniff(out.data);
    expect([meta.width, meta.height]).toEqual(size);
    await expectPixel(out.data, red[0], red[1], RED);
    await expectPixel(out.data, size[0] - 1 - red[0], size[1] - 1 - red[1], GREY);
  });

  it("cover box and gravity are the rotated image's: w=150,h=100,fit=cover,rot=90 is 150×100", async () => {
    const out = await transform({
      input: await orientation6Jpeg(),
      options: { w: 150, h: 100, fit: 'cover', rot: 90 },
    });
    expect([out.width, out.height]).toEqual([150, 100]);
    expect((await sniff(out.data)).width).toBe(150);
    await expectPixel(out.data, 145, 95, RED);
    await expectPixel(out.data, 5, 5, GREY);
  });

  it('contain pads the rotated image: w=150,h=150,fit=contain,rot=90 is 150×150, bands top and bottom', async () => {
    const out = await transform({
      input: await orientation6Jpeg(),
      options: { w: 150, h: 150, fit: 'contain', rot: 90 },
    });
    expect([out.width, out.height]).toEqual([150, 150]);
    await expectPixel(out.data, 75, 5, WHITE);
    await expectPixel(out.data, 75, 145, WHITE);
    await expectPixel(out.data, 140, 115, RED);
    await expectPixel(out.data, 10, 40, GREY);
  });

  it('w/h refer to the rotated image: w=150,h=100,fit=fill,rot=90 is 150×100', async () => {
    const out = await transform({
      input: await orientation6Jpeg(),
      options: { w: 150, h: 100, fit: 'fill', rot: 90 },
    });
    expect([out.width, out.height]).toEqual([150, 100]);
    await expectPixel(out.data, 145, 95, RED);
  });
});

describe('flip', () => {
  it.each([
    ['h', [10, 10]],
    ['v', [190, 290]],
    ['hv', [10, 290]],
  ] as const)('flip=%s mirrors the oriented image: red corner at %j', async (flip, red) => {
    const out = await transform({ input: await orientation6Jpeg(), options: { flip } });
    expect([out.width, out.height]).toEqual([200, 300]);
    await expectPixel(out.data, red[0], red[1], RED);
    await expectPixel(out.data, 199 - red[0], 299 - red[1], GREY);
  });
});

describe('rot, then flip', () => {
  // Oriented 200×300 with red top-right; rot=90 → 300×200 with red bottom-right.
  it.each([
    ['h', [10, 190]],
    ['v', [290, 10]],
    ['hv', [10, 10]],
  ] as const)('rot=90,flip=%s mirrors the rotated image: red corner at %j', async (flip, red) => {
    const out = await transform({ input: await orientation6Jpeg(), options: { rot: 90, flip } });
    expect([out.width, out.height]).toEqual([300, 200]);
    await expectPixel(out.data, red[0], red[1], RED);
    await expectPixel(out.data, 299 - red[0], 199 - red[1], GREY);
  });
});

describe('gravity is given for the final image, through rot and flip', () => {
  // strip(400, 200): the left 100 columns red, the rest blue.
  it('g=north with rot=90 keeps the part that ends up on top (the red left edge)', async () => {
    const out = await transform({
      input: await strip(400, 200),
      options: { w: 100, h: 100, fit: 'cover', g: 'north', rot: 90 },
    });
    expect([out.width, out.height]).toEqual([100, 100]);
    await expectPixel(out.data, 50, 10, RED);
    await expectPixel(out.data, 50, 90, BLUE);
  });

  it('g=east with flip=h keeps the part that ends up on the right (the red left edge)', async () => {
    const out = await transform({
      input: await strip(400, 200),
      options: { w: 100, h: 100, fit: 'cover', g: 'east', flip: 'h' },
    });
    expect([out.width, out.height]).toEqual([100, 100]);
    await expectPixel(out.data, 90, 50, RED);
    await expectPixel(out.data, 10, 50, BLUE);
  });

  it('g=west without rot or flip keeps the red left edge on the left', async () => {
    const out = await transform({
      input: await strip(400, 200),
      options: { w: 100, h: 100, fit: 'cover', g: 'west' },
    });
    await expectPixel(out.data, 10, 50, RED);
    await expectPixel(out.data, 90, 50, BLUE);
  });
});
