/**
 * The step order (load → auto-orient → trim → resize/crop → rot/flip → blur/sharpen → background
 * → sRGB → encode) as behaviour: each test gives a result that another order would not, and
 * blur/sharpen do what they say.
 */
import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { transform } from '../../../origin/transform/index.js';
import { BLUE, borderedPng, RED, salientPng, WHITE } from '../../support/images.js';
import { expectPixel } from './helpers.js';

/** 64×64: a white band 16 px wide down the left edge, blue elsewhere. */
function bandedImage(): Sharp {
  return sharp({ create: { width: 64, height: 64, channels: 3, background: BLUE } }).composite([
    { input: { create: { width: 16, height: 64, channels: 3, background: WHITE } }, left: 0, top: 0 },
  ]);
}

/** Row `y` of a greyscale decode. */
async function greyRow(data: Buffer, y: number): Promise<number[]> {
  const { data: px, info } = await sharp(data)
    .greyscale()
    .extract({ left: 0, top: y, width: (await sharp(data).metadata()).width, height: 1 })
    .raw()
    .toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(1);
  return [...px];
}

describe('the order of the steps', () => {
  it('trim, then resize: w is the width of the trimmed image', async () => {
    // 64×64 with a 16 px white border round a 32×32 red square: trimmed, then scaled to 16 px.
    // Resizing first would leave a 4 px border for trim to cut: 8×8.
    const out = await transform({ input: await borderedPng(), options: { trim: 10, w: 16, f: 'png' } });
    expect([out.width, out.height]).toEqual([16, 16]);
    await expectPixel(out.data, 0, 0, RED, 8);
    await expectPixel(out.data, 15, 15, RED, 8);
  });

  it('trim, then rot: trim reads the image before rot turns it', async () => {
    // Before rot=180 the top-left pixel is white: trim cuts the white band and keeps the blue
    // 48×64. Turned first, the top-left pixel would be blue and only the white band would stay.
    const input = await bandedImage().png().toBuffer();
    const out = await transform({ input, options: { trim: 10, rot: 180, f: 'png' } });
    expect([out.width, out.height]).toEqual([48, 64]);
    await expectPixel(out.data, 24, 32, BLUE, 0);
  });

  it('resize, then blur: sigma is in output pixels', async () => {
    // 400×100, black left half, white right half, scaled to 100 px wide then blurred with
    // sigma 3: the edge spreads over ≈ 2 × 1.28 σ ≈ 8 output pixels between 10 % and 90 %.
    // Blurred before a 4× downscale, sigma would shrink to 0.75 output px: a 2–3 px ramp.
    const input = await sharp({ create: { width: 400, height: 100, channels: 3, background: WHITE } })
      .composite([
        {
          input: { create: { width: 200, height: 100, channels: 3, background: { r: 0, g: 0, b: 0 } } },
          left: 0,
          top: 0,
        },
      ])
      .png()
      .toBuffer();
    const ramp = async (blur?: number) => {
      const out = await transform({
        input,
        options: blur === undefined ? { w: 100, f: 'png' } : { w: 100, blur, f: 'png' },
      });
      expect([out.width, out.height]).toEqual([100, 25]);
      return (await greyRow(out.data, 12)).filter((v) => v > 25 && v < 230).length;
    };
    expect(await ramp()).toBeLessThanOrEqual(2);
    const blurred = await ramp(3);
    expect(blurred).toBeGreaterThanOrEqual(6);
    expect(blurred).toBeLessThanOrEqual(10);
  });
});

describe('blur / sharpen', () => {
  const sharpness = async (data: Buffer) => (await sharp(data).stats()).sharpness;

  it('blur lowers sharpness, more with a larger sigma', async () => {
    const input = await salientPng();
    const plain = await sharpness((await transform({ input, options: { f: 'png' } })).data);
    const soft = await sharpness((await transform({ input, options: { f: 'png', blur: 1 } })).data);
    const softer = await sharpness((await transform({ input, options: { f: 'png', blur: 5 } })).data);
    expect(soft).toBeLessThan(plain * 0.9);
    expect(softer).toBeLessThan(soft * 0.9);
  });

  it('sharpen raises sharpness; sharpen=0 is a no-op', async () => {
    const input = await sharp(await salientPng())
      .blur(2)
      .png()
      .toBuffer();
    const plain = (await transform({ input, options: { f: 'png' } })).data;
    const zero = (await transform({ input, options: { f: 'png', sharpen: 0 } })).data;
    const crisp = (await transform({ input, options: { f: 'png', sharpen: 2 } })).data;
    expect(zero.equals(plain)).toBe(true);
    expect(await sharpness(crisp)).toBeGreaterThan((await sharpness(plain)) * 1.1);
  });
});
