/**
 * Queue full over real HTTP: with TRANSFORM_CONCURRENCY=1 and TRANSFORM_QUEUE=1, distinct slow
 * variants requested at once → one runs, one waits, the rest get 503 overloaded + Retry-After;
 * afterwards the origin serves normally.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../support/db.js';
import { photoJpeg } from '../../support/images.js';
import { startTestOrigin, type TestOrigin } from '../../support/origin.js';
import { expectProblem, type ImageRecord, uploadOk } from './helpers.js';

let origin: TestOrigin;
let image: ImageRecord;

beforeAll(async () => {
  origin = await startTestOrigin({ TRANSFORM_CONCURRENCY: '1', TRANSFORM_QUEUE: '1' });
  image = await uploadOk(origin, await photoJpeg(1600, 1200, 9), await origin.craftToken({ sub: 'busy' }));
});
afterAll(() => origin?.close());

describeDb('origin API: transform queue full', () => {
  it('distinct concurrent misses past concurrency + queue → 503 overloaded with Retry-After', async () => {
    const N = 8;
    const rejectedBefore = await origin.metric('imgedge_transform_rejected_total');
    // Distinct widths: distinct variants, so single-flight cannot merge them.
    const responses = await Promise.all(
      Array.from({ length: N }, (_, i) => origin.variant(`w=${1000 + i}/${image.id}`, 'format=avif')),
    );
    const ok = responses.filter((r) => r.status === 200);
    const refused = responses.filter((r) => r.status === 503);
    expect(ok.length + refused.length).toBe(N);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    // One running + one queued always get through.
    expect(ok.length).toBeGreaterThanOrEqual(2);
    for (const res of refused) {
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      await expectProblem(res, 503, 'overloaded');
    }
    for (const res of ok) {
      const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
      expect(meta.compression).toBe('av1');
    }
    expect((await origin.metric('imgedge_transform_rejected_total')) - rejectedBefore).toBe(refused.length);
    // The queue drained: nothing running, nothing waiting.
    expect(await origin.metric('imgedge_transform_in_flight')).toBe(0);
    expect(await origin.metric('imgedge_transform_queue_depth')).toBe(0);

    // Afterwards the origin serves normally, including a variant that was refused.
    const refusedIndex = responses.findIndex((r) => r.status === 503);
    const retry = await origin.variant(`w=${1000 + refusedIndex}/${image.id}`, 'format=avif');
    expect(retry.status).toBe(200);
    const meta = await sharp(Buffer.from(await retry.arrayBuffer())).metadata();
    expect(meta.width).toBe(1000 + refusedIndex);
    const small = await origin.variant(`w=50,f=png/${image.id}`);
    expect(small.status).toBe(200);
    await small.arrayBuffer();
  });
});

describeDb('origin API: uploads share the bounded pool', () => {
  it('an upload arriving while the pool and its queue are full is refused with 503 overloaded', async () => {
    // One slow AVIF running and one waiting fill TRANSFORM_CONCURRENCY=1 + TRANSFORM_QUEUE=1.
    const busy = [1500, 1501].map((w) => origin.variant(`w=${w}/${image.id}`, 'format=avif'));
    for (let i = 0; i < 200 && (await origin.metric('imgedge_transform_queue_depth')) < 1; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await origin.metric('imgedge_transform_queue_depth')).toBe(1);
    const token = await origin.craftToken({ sub: 'busy-uploader' });
    const rejectedBefore = await origin.metric('imgedge_transform_rejected_total');
    const refused = await origin.upload(await photoJpeg(300, 200, 31), token);
    await expectProblem(refused, 503, 'overloaded');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Counted where the pool refuses it, like a refused variant.
    expect(await origin.metric('imgedge_transform_rejected_total')).toBe(rejectedBefore + 1);
    for (const res of await Promise.all(busy)) {
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    // Nothing was stored for the refused upload; the same upload now succeeds.
    const accepted = await origin.upload(await photoJpeg(300, 200, 31), token);
    expect(accepted.status).toBe(201);
  });
});
