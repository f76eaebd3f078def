/**
 * Rejections: the pixel cap (from the header, before decoding; frames counted), undecodable
 * input, and the processing timeout, each as its ImgedgeError code.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, transform } from '../../../origin/transform/index.js';
import type { TransformRequest } from '../../../origin/transform/types.js';
import { ImgedgeError } from '../../../shared/errors.js';
import { animatedGif, garbage, largeFlatPng, photoJpeg, truncatedJpeg } from '../../support/images.js';

async function rejection(req: TransformRequest): Promise<ImgedgeError> {
  const err = await transform(req).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImgedgeError);
  return err as ImgedgeError;
}

it('defaults: 50 MP and 30 s', () => {
  expect(DEFAULT_LIMITS).toEqual({ maxInputPixels: 50_000_000, timeoutMs: 30_000 });
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
