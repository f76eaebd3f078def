/** probe(): header facts for uploads, under the same pixel cap (frames counted). */
import { describe, expect, it } from 'vitest';
import { probe, transform } from '../../../origin/transform/index.js';
import { ImgedgeError } from '../../../shared/errors.js';
import { alphaPng, animatedGif, garbage, orientation6Jpeg, photoJpeg, strip } from '../../support/images.js';

describe('probe', () => {
  it('reports display dimensions and the EXIF orientation', async () => {
    expect(await probe(await orientation6Jpeg())).toEqual({
      format: 'jpeg',
      width: 200,
      height: 300,
      frames: 1,
      hasAlpha: false,
      orientation: 6,
    });
  });

  it('reports frames of an animation and one frame height', async () => {
    expect(await probe(await animatedGif())).toEqual({
      format: 'gif',
      width: 120,
      height: 90,
      frames: 3,
      hasAlpha: true,
    });
  });

  it('reports alpha', async () => {
    expect(await probe(await alphaPng())).toMatchObject({
      format: 'png',
      width: 200,
      height: 100,
      hasAlpha: true,
    });
  });

  it('names AVIF avif (sharp says heif)', async () => {
    const avif = await transform({ input: await photoJpeg(64, 48), options: { f: 'avif' } });
    expect(await probe(avif.data)).toMatchObject({ format: 'avif', width: 64, height: 48, frames: 1 });
  });

  it('enforces the pixel cap with frames counted', async () => {
    const err = await probe(await animatedGif(), { maxInputPixels: 30_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImgedgeError);
    expect((err as ImgedgeError).code).toBe('image_too_large');
    expect((err as ImgedgeError).extra).toMatchObject({ pixels: 32_400, limit: 30_000 });
  });

  it('accepts under the default cap: the 8000×100 strip', async () => {
    expect(await probe(await strip())).toMatchObject({ width: 8000, height: 100 });
  });

  it('garbage is invalid_image', async () => {
    const err = await probe(garbage()).catch((e: unknown) => e);
    expect((err as ImgedgeError).code).toBe('invalid_image');
  });
});
