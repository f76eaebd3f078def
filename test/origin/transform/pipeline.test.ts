/** The step order is the contract (DESIGN.md / issue 2), and blur/sharpen do what they say. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { transform } from '../../../origin/transform/index.js';
import { STEPS } from '../../../origin/transform/pipeline.js';
import { salientPng } from '../../support/images.js';

it('runs the steps in order after load', () => {
  expect(STEPS.map((step) => step.name)).toEqual([
    'autoOrient',
    'trim',
    'resize',
    'rotateFlip',
    'blurSharpen',
    'background',
    'colourSpace',
    'encode',
  ]);
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
