/**
 * crop and pad through GET /internal/v1/variants over real HTTP (real Postgres, real sharp): the
 * canonical path form, a crop outside the source answered 400 invalid_option naming the source's
 * size as problem+json, and f=json reporting the cropped and padded output's size.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../support/db.js';
import { photoJpeg } from '../../support/images.js';
import { startTestOrigin, type TestOrigin } from '../../support/origin.js';
import { expectProblem, type ImageRecord, uploadOk } from './helpers.js';

let origin: TestOrigin;
let photo: ImageRecord; // 640×480 JPEG

beforeAll(async () => {
  origin = await startTestOrigin();
  const token = await origin.craftToken({ sub: 'crop-pad-owner' });
  photo = await uploadOk(origin, await photoJpeg(640, 480, 4), token);
});
afterAll(() => origin?.close());

describeDb('origin API: crop and pad variants', () => {
  it('serves crop=x:y:w:h before the resize, and pad around the result', async () => {
    const res = await origin.variant(`w=100,f=png,crop=40:30:400:300,pad=3:5:7:9/${photo.id}`);
    expect(res.status, await res.clone().text()).toBe(200);
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([100 + 5 + 9, 75 + 3 + 7]);
  });

  it('answers a crop outside the source with 400 invalid_option naming the source size', async () => {
    const res = await origin.variant(`f=webp,crop=600:0:41:10/${photo.id}`);
    const problem = await expectProblem(res, 400, 'invalid_option');
    expect(problem.detail).toContain('640×480');
    expect(problem).toMatchObject({
      key: 'crop',
      value: '600:0:41:10',
      source_width: 640,
      source_height: 480,
    });
  });

  it('refuses a non-canonical crop or pad spelling (the cache key is the canonical form)', async () => {
    for (const options of ['pad=4:4:4:4', 'padding=4', 'f=webp,crop=0:0:1:1,trim=5']) {
      await expectProblem(
        await origin.variant(`${options}/${photo.id}`, 'format=webp'),
        400,
        'invalid_option',
      );
    }
  });

  it('f=json reports the output size of a crop with padding', async () => {
    const res = await origin.variant(`w=50,f=json,crop=0:0:200:100,pad=10/${photo.id}`, 'format=webp');
    expect(res.status, await res.clone().text()).toBe(200);
    const info = (await res.json()) as { width: number; height: number; original: { width: number } };
    expect([info.width, info.height]).toEqual([50 + 20, 25 + 20]);
    expect(info.original.width).toBe(640);
  });
});
