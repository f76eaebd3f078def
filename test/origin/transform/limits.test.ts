/**
 * Rejections: the pixel cap (from the header, before decoding; frames counted), the work limits
 * (MAX_ANIMATION_FRAMES, MAX_OUTPUT_PIXELS: from the plan, before decoding), undecodable input,
 * and the processing timeout, each as its ImgedgeError code.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, transform } from '../../../origin/transform/index.js';
import type { TransformRequest } from '../../../origin/transform/types.js';
import { ImgedgeError } from '../../../shared/errors.js';
import {
  animatedGif,
  animatedGifFrames,
  garbage,
  largeFlatPng,
  photoJpeg,
  truncatedJpeg,
} from '../../support/images.js';

async function rejection(req: TransformRequest): Promise<ImgedgeError> {
  const err = await transform(req).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImgedgeError);
  return err as ImgedgeError;
}

it('defaults: 50 MP, 30 s, 200 frames, 8192×8192 output pixels', () => {
  expect(DEFAULT_LIMITS).toEqual({
    maxInputPixels: 50_000_000,
    timeoutMs: 30_000,
    maxAnimationFrames: 200,
    maxOutputPixels: 67_108_864,
  });
});

describe('MAX_ANIMATION_FRAMES', () => {
  it('refuses an animation kept with more frames: 422 limit_exceeded naming the limit', async () => {
    const err = await rejection({
      input: await animatedGifFrames(5),
      options: { f: 'webp' },
      limits: { maxAnimationFrames: 4 },
    });
    expect(err.code).toBe('limit_exceeded');
    expect(err.status).toBe(422);
    expect(err.extra).toEqual({ limit: 'MAX_ANIMATION_FRAMES', value: 5, max: 4 });
    expect(err.message).toBe('The animation has 5 frames; MAX_ANIMATION_FRAMES is 4');
  });

  it('counts the default: 201 frames are refused, 200 pass', async () => {
    const over = await rejection({ input: await animatedGifFrames(201), options: { f: 'gif' } });
    expect(over.extra).toMatchObject({ limit: 'MAX_ANIMATION_FRAMES', value: 201, max: 200 });
    const out = await transform({ input: await animatedGifFrames(200), options: { f: 'gif' } });
    expect(out.frames).toBe(200);
  });

  it('passes exactly the limit, and the first frame alone (anim=0, jpeg, a single-frame op)', async () => {
    const input = await animatedGifFrames(5);
    const limits = { maxAnimationFrames: 4 };
    expect(
      (await transform({ input, options: { f: 'webp' }, limits: { maxAnimationFrames: 5 } })).frames,
    ).toBe(5);
    for (const options of [{ f: 'webp', anim: false }, { f: 'jpeg' }, { f: 'webp', rot: 90 }] as const) {
      expect((await transform({ input, options, limits })).frames).toBe(1);
    }
  });
});

describe('MAX_OUTPUT_PIXELS', () => {
  it('refuses w=2000,enlarge=1 of a 300×200 under a 1 MP limit: value = 2000×1333', async () => {
    const err = await rejection({
      input: await photoJpeg(300, 200),
      options: { w: 2000, enlarge: true },
      limits: { maxOutputPixels: 1_000_000 },
    });
    expect(err.code).toBe('limit_exceeded');
    expect(err.status).toBe(422);
    expect(err.extra).toEqual({ limit: 'MAX_OUTPUT_PIXELS', value: 2000 * 1333, max: 1_000_000, frames: 1 });
  });

  it('counts the frames kept: 3 × 240×180 over 100 000; the first frame alone passes', async () => {
    const input = await animatedGif();
    const limits = { maxOutputPixels: 100_000 };
    const err = await rejection({ input, options: { w: 240, enlarge: true, f: 'webp' }, limits });
    expect(err.extra).toEqual({ limit: 'MAX_OUTPUT_PIXELS', value: 3 * 240 * 180, max: 100_000, frames: 3 });
    expect(err.message).toMatch(/over 3 frames/);
    const first = await transform({
      input,
      options: { w: 240, enlarge: true, f: 'webp', anim: false },
      limits,
    });
    expect([first.width, first.height, first.frames]).toEqual([240, 180, 1]);
  });

  it('is checked from the plan before decoding: only the header of a 16 MP PNG is read', async () => {
    // Decoding this cut file would be invalid_image: limit_exceeded proves nothing was decoded.
    const header = (await largeFlatPng(4000, 4000)).subarray(0, 64);
    const err = await rejection({
      input: header,
      options: { w: 2000 },
      limits: { maxOutputPixels: 1_000_000 },
    });
    expect(err.code).toBe('limit_exceeded');
    const undecodable = await rejection({ input: header, options: { w: 2000 } });
    expect(undecodable.code).toBe('invalid_image');
  });

  it.each([
    ['one side', { w: 150 }],
    ['dpr and enlarge', { w: 200, dpr: 2.5, enlarge: true }],
    ['cover box', { w: 120, h: 120, fit: 'cover' }],
    ['contain box (padded)', { w: 400, h: 100, fit: 'contain', enlarge: true }],
    ['fill', { w: 77, h: 333, fit: 'fill' }],
    ['outside', { w: 100, h: 100, fit: 'outside' }],
    ['a quarter turn', { w: 90, h: 200, rot: 90 }],
    ['no options', {}],
  ] as const)('the value it checks is the real output size (%s)', async (_name, options) => {
    const input = await photoJpeg(300, 200);
    const err = await rejection({ input, options: { ...options, f: 'png' }, limits: { maxOutputPixels: 1 } });
    const out = await transform({ input, options: { ...options, f: 'png' } });
    expect(err.extra.value).toBe(out.width * out.height * out.frames);
  });
});

describe('pixel cap', () => {
  it('rejects 300×200 (60 000 px) under a 59 999 cap with image_too_large, 422, pixels and limit', async () => {
    const err = await rejection({
      input: await photoJpeg(300, 200),
      options: { w: 10 },
      limits: { maxInputPixels: 59_999 },
    });
    expect(err.code).toBe('image_too_large');
    expect(err.status).toBe(422);
    expect(err.extra).toMatchObject({ pixels: 60_000, limit: 59_999 });
  });

  it('accepts exactly the cap', async () => {
    const out = await transform({
      input: await photoJpeg(300, 200),
      options: {},
      limits: { maxInputPixels: 60_000 },
    });
    expect(out.width).toBe(300);
  });

  it('counts animation frames it decodes: 120×90×3 = 32 400 px over a 30 000 cap', async () => {
    const err = await rejection({
      input: await animatedGif(),
      options: { f: 'webp' },
      limits: { maxInputPixels: 30_000 },
    });
    expect(err.code).toBe('image_too_large');
    expect(err.extra).toMatchObject({ pixels: 32_400, frames: 3 });
  });

  it('the first frame alone (anim=0, 10 800 px) passes the same cap', async () => {
    const out = await transform({
      input: await animatedGif(),
      options: { f: 'webp', anim: false },
      limits: { maxInputPixels: 30_000 },
    });
    expect(out.frames).toBe(1);
  });

  it('is checked before decoding: only the header of a 16 MP image is read under a 1 MP cap', async () => {
    // Cut the file right after its header: decoding it would be invalid_image, so image_too_large
    // proves the cap was applied from the header alone.
    const header = (await largeFlatPng(4000, 4000)).subarray(0, 64);
    const err = await rejection({
      input: header,
      options: { blur: 250 },
      limits: { maxInputPixels: 1_000_000 },
    });
    expect(err.code).toBe('image_too_large');
    const undecodable = await rejection({
      input: header,
      options: { blur: 250 },
      limits: { maxInputPixels: 50_000_000 },
    });
    expect(undecodable.code).toBe('invalid_image');
  });
});

describe('undecodable input → invalid_image (422)', () => {
  it.each([
    ['garbage bytes', async () => garbage()],
    ['an empty buffer', async () => Buffer.alloc(0)],
    ['a truncated JPEG', truncatedJpeg],
    [
      'an SVG (not a source format)',
      async () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>'),
    ],
  ])('%s', async (_name, make) => {
    const err = await rejection({ input: await make(), options: {} });
    expect(err.code).toBe('invalid_image');
    expect(err.status).toBe(422);
  });

  it('never puts the libvips message (it can name a server path) in the problem document', async () => {
    const err = await rejection({ input: await truncatedJpeg(), options: {} });
    expect(JSON.stringify(err.toProblem())).not.toMatch(/VipsJpeg|premature/i);
    expect(String((err.cause as Error).message)).toMatch(/premature end/i);
  });
});

describe('file path input', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imgedge-transform-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the original from disk', async () => {
    const path = join(dir, 'photo');
    await writeFile(path, await photoJpeg(300, 200));
    const out = await transform({ input: path, options: { w: 150, f: 'webp' } });
    expect([out.format, out.width, out.height]).toEqual(['webp', 150, 100]);
  });

  it('a corrupt file is invalid_image', async () => {
    const path = join(dir, 'corrupt');
    await writeFile(path, garbage());
    expect((await rejection({ input: path, options: {} })).code).toBe('invalid_image');
  });

  it('a missing file is not blamed on the image (a server fault, left as is)', async () => {
    const err = await transform({ input: join(dir, 'missing'), options: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ImgedgeError);
  });
});

describe('timeout', () => {
  it('a blur of 250 over 16 MP stops after 1 s with transform_timeout (504)', async () => {
    const input = await largeFlatPng(4000, 4000);
    const err = await rejection({ input, options: { blur: 250, f: 'jpeg' }, limits: { timeoutMs: 1000 } });
    expect(err.code).toBe('transform_timeout');
    expect(err.status).toBe(504);
  });
});
