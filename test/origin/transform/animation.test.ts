/**
 * Animated sources (animatedGif: 3 frames of 120×90, red, green, blue, 100 ms each, looping):
 * frames are kept for webp/gif output with anim on, else only the first frame is decoded.
 */
import { describe, expect, it } from 'vitest';
import { transform } from '../../../origin/transform/index.js';
import { animatedGif, GIF_FRAMES, RED } from '../../support/images.js';
import { expectPixel, sniff } from './helpers.js';

describe('frames kept', () => {
  it.each(['webp', 'gif'] as const)('f=%s keeps 3 frames, in order, with their timing', async (f) => {
    const out = await transform({ input: await animatedGif(), options: { f } });
    expect(out.frames).toBe(3);
    expect([out.width, out.height]).toEqual([120, 90]);
    const meta = await sniff(out.data);
    expect(meta.format).toBe(f);
    expect(meta.pages).toBe(3);
    expect([meta.width, meta.height]).toEqual([120, 90]);
    expect(meta.delay).toEqual([100, 100, 100]);
    expect(meta.loop).toBe(0);
    for (const [page, colour] of GIF_FRAMES.entries()) {
      await expectPixel(out.data, 60, 45, colour, 48, page);
    }
  });

  it('every frame is resized: w=60 → 3 frames of 60×45', async () => {
    const out = await transform({ input: await animatedGif(), options: { w: 60, f: 'webp' } });
    expect([out.width, out.height, out.frames]).toEqual([60, 45, 3]);
    const meta = await sniff(out.data);
    expect([meta.width, meta.height, meta.pages]).toEqual([60, 45, 3]);
  });

  it('cover crop of every frame; smart gravity falls back to the centre: 50×50 × 3', async () => {
    const out = await transform({
      input: await animatedGif(),
      options: { w: 50, h: 50, fit: 'cover', g: 'attention', f: 'gif' },
    });
    const meta = await sniff(out.data);
    expect([meta.width, meta.height, meta.pages]).toEqual([50, 50, 3]);
  });

  it('rot=180 and flip keep the frames', async () => {
    const out = await transform({ input: await animatedGif(), options: { rot: 180, flip: 'h', f: 'webp' } });
    const meta = await sniff(out.data);
    expect([meta.width, meta.height, meta.pages]).toEqual([120, 90, 3]);
  });
});

describe('first frame only', () => {
  it('anim=0: one red frame', async () => {
    const out = await transform({ input: await animatedGif(), options: { anim: false, f: 'webp' } });
    expect(out.frames).toBe(1);
    const meta = await sniff(out.data);
    expect(meta.pages).toBe(1);
    expect([meta.width, meta.height]).toEqual([120, 90]);
    await expectPixel(out.data, 60, 45, RED);
  });

  it.each(['jpeg', 'png', 'avif'] as const)('f=%s cannot animate: one frame', async (f) => {
    const out = await transform({ input: await animatedGif(), options: { f } });
    expect(out.frames).toBe(1);
    const meta = await sniff(out.data);
    expect(meta.pages).toBe(1);
    expect([meta.width, meta.height]).toEqual([120, 90]);
    await expectPixel(out.data, 60, 45, RED);
  });

  it('rot=90 (libvips cannot turn frames a quarter): one rotated frame, 90×120', async () => {
    const out = await transform({ input: await animatedGif(), options: { rot: 90, f: 'webp' } });
    expect([out.width, out.height, out.frames]).toEqual([90, 120, 1]);
    const meta = await sniff(out.data);
    expect([meta.width, meta.height, meta.pages]).toEqual([90, 120, 1]);
  });

  it('trim (not possible on frames): one frame', async () => {
    const out = await transform({ input: await animatedGif(), options: { trim: 10, f: 'gif' } });
    expect(out.frames).toBe(1);
    expect((await sniff(out.data)).pages).toBe(1);
  });

  it('f=auto for a jpeg-class client with anim=0: a still png of the first frame (GIF decodes with alpha)', async () => {
    const out = await transform({ input: await animatedGif(), options: { anim: false }, autoClass: 'jpeg' });
    expect(out.format).toBe('png');
    expect((await sniff(out.data)).pages).toBe(1);
    await expectPixel(out.data, 0, 0, RED, 0);
  });
});
