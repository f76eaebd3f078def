/**
 * Cloudflare's documented examples (Images → Features: fit, gravity, flip, background, dpr, trim)
 * through the whole chain: Cloudflare's option text → parseCloudflareOptions → the real transform,
 * asserting the sizes Cloudflare documents and where the pixels land.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { transform } from '../../../origin/transform/index.js';
import { parseCloudflareOptions } from '../../../shared/options/index.js';
import { alphaPng, BLUE, borderedPng, GREEN, GREY, RED, type Rgb, WHITE } from '../../support/images.js';
import { expectPixel, sniff } from './helpers.js';

/** A flat PNG; `bands` stacks horizontal bands of the given colours top to bottom. */
function png(width: number, height: number, bands: readonly Rgb[] = [GREY]): Promise<Buffer> {
  const size = Math.round(height / bands.length);
  return sharp({ create: { width, height, channels: 3, background: GREY } })
    .composite(
      bands.map((colour, i) => ({
        input: { create: { width, height: size, channels: 3 as const, background: colour } },
        left: 0,
        top: i * size,
      })),
    )
    .removeAlpha()
    .png()
    .toBuffer();
}

async function cf(input: Buffer, text: string) {
  const { options } = parseCloudflareOptions(`${text},format=png`);
  const out = await transform({ input, options });
  const meta = await sniff(out.data);
  expect([meta.width, meta.height]).toEqual([out.width, out.height]);
  return out;
}

describe("Cloudflare's fit examples", () => {
  it.each<[string, [number, number], string, [number, number]]>([
    // [source, Cloudflare options, output] as the features page shows them
    ['scale-down shrinks to fit', [1080, 720], 'fit=scale-down,width=500,height=500', [500, 333]],
    ['scale-down never enlarges', [1080, 720], 'fit=scale-down,width=2000,height=2000', [1080, 720]],
    ['no fit is scale-down', [1080, 720], 'width=2000', [1080, 720]],
    ['contain shrinks to fit', [1080, 720], 'fit=contain,width=500,height=500', [500, 333]],
    ['contain enlarges', [540, 360], 'fit=contain,width=1080,height=1080', [1080, 720]],
    ['contain with one side enlarges to it', [540, 360], 'fit=contain,width=1080', [1080, 720]],
    ['cover fills the box', [1080, 720], 'fit=cover,width=500,height=500', [500, 500]],
    ['cover enlarges', [540, 360], 'fit=cover,width=1080,height=1080', [1080, 1080]],
    ['crop keeps a smaller source as it is', [1080, 720], 'fit=crop,width=1296,height=1296', [1080, 720]],
    ['crop of a larger source is cover', [1080, 720], 'fit=crop,width=500,height=500', [500, 500]],
    [
      'aspect-crop: 612×613 at 1920×1120 is 612×357',
      [612, 613],
      'fit=aspect-crop,width=1920,height=1120',
      [612, 357],
    ],
    ['pad fills the box', [1080, 720], 'fit=pad,width=1080,height=1080', [1080, 1080]],
    ['pad enlarges', [540, 360], 'fit=pad,width=1080,height=1080', [1080, 1080]],
    ['squeeze distorts to the box', [1080, 720], 'fit=squeeze,width=1080,height=540', [1080, 540]],
    ['dpr=2 doubles width=300,height=200', [1080, 720], 'width=300,height=200,dpr=2', [600, 400]],
  ])('%s: %j with %s → %j', async (_label, [w, h], text, expected) => {
    const out = await cf(await png(w, h), text);
    expect([out.width, out.height]).toEqual(expected);
  });

  it('pad pads with white by default, with background when given', async () => {
    const input = await png(1080, 720, [RED]);
    const white = await cf(input, 'fit=pad,width=1080,height=1080');
    await expectPixel(white.data, 540, 40, WHITE, 4); // the band above the image
    await expectPixel(white.data, 540, 540, RED, 4);
    await expectPixel(white.data, 540, 1040, WHITE, 4);
    for (const background of ['%2300ff00', 'lime', 'rgb%280%2C255%2C0%29']) {
      const green = await cf(input, `fit=pad,width=1080,height=1080,background=${background}`);
      await expectPixel(green.data, 540, 40, GREEN, 4);
      await expectPixel(green.data, 540, 540, RED, 4);
    }
  });

  it('pad flattens a transparent source onto white (Cloudflare: white by default)', async () => {
    // alphaPng: 200×100, left half red, right half transparent.
    const out = await cf(await alphaPng(), 'fit=pad,width=200,height=200');
    expect(out.hasAlpha).toBe(false);
    await expectPixel(out.data, 50, 100, RED, 4);
    await expectPixel(out.data, 150, 100, WHITE, 4); // was transparent
    await expectPixel(out.data, 100, 10, WHITE, 4); // padding
  });
});

describe("Cloudflare's gravity and flip examples", () => {
  it('gravity=bottom: 1080×720 cropped to 1080×400 keeps the bottom edge', async () => {
    // Three 240 px bands: red, green, blue. Rows 320..720 remain.
    const out = await cf(
      await png(1080, 720, [RED, GREEN, BLUE]),
      'fit=crop,width=1080,height=400,gravity=bottom',
    );
    expect([out.width, out.height]).toEqual([1080, 400]);
    await expectPixel(out.data, 540, 20, GREEN, 4); // row 340
    await expectPixel(out.data, 540, 380, BLUE, 4); // row 700
  });

  it('gravity=top keeps the top edge; gravity=auto is the saliency crop', async () => {
    const top = await cf(
      await png(1080, 720, [RED, GREEN, BLUE]),
      'fit=crop,width=1080,height=400,gravity=top',
    );
    await expectPixel(top.data, 540, 20, RED, 4);
    const auto = parseCloudflareOptions('gravity=auto').options;
    expect(auto).toEqual({ g: 'attention' });
  });

  it('flip=h,rotate=90 mirrors, then turns: the top-left corner ends bottom-right', async () => {
    // 200×100, a red 20×20 block in the top-left corner.
    const input = await sharp({ create: { width: 200, height: 100, channels: 3, background: GREY } })
      .composite([
        { input: { create: { width: 20, height: 20, channels: 3, background: RED } }, left: 0, top: 0 },
      ])
      .removeAlpha()
      .png()
      .toBuffer();
    const out = await cf(input, 'flip=h,rotate=90');
    expect([out.width, out.height]).toEqual([100, 200]);
    // Mirrored left-right the block is top-right; turned clockwise, top-right goes bottom-right.
    await expectPixel(out.data, 90, 190, RED, 4);
    await expectPixel(out.data, 10, 10, GREY, 4);
    await expectPixel(out.data, 90, 10, GREY, 4);
  });

  it('trim=border cuts the uniform border (64×64 with a 16 px white frame → 32×32)', async () => {
    const out = await cf(await borderedPng(), 'trim=border');
    expect([out.width, out.height]).toEqual([32, 32]);
    await expectPixel(out.data, 0, 0, RED, 0);
  });
});
