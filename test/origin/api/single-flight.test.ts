/**
 * Single-flight over real HTTP: 50 concurrent requests for the same uncached variant run the
 * pipeline once (the transform counter in /metrics rises by exactly 1) and all get the same bytes.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../support/db.js';
import { photoJpeg } from '../../support/images.js';
import { startTestOrigin, type TestOrigin } from '../../support/origin.js';
import { type ImageRecord, sha256Hex, uploadOk } from './helpers.js';

let origin: TestOrigin;
let image: ImageRecord;

beforeAll(async () => {
  origin = await startTestOrigin();
  // Big enough that the AVIF encode outlasts the arrival of all 50 requests.
  image = await uploadOk(origin, await photoJpeg(1600, 1200, 8), await origin.craftToken({ sub: 'sf' }));
});
afterAll(() => origin?.close());

describeDb('origin API: variant single-flight', () => {
  it('50 concurrent identical misses → one transform, 50 identical responses', async () => {
    const path = `w=900/${image.id}`;
    const before = await origin.metric('imgedge_transforms_total');
    const okBefore = await origin.metric('imgedge_transforms_total', { result: 'ok' });

    const responses = await Promise.all(
      Array.from({ length: 50 }, () => origin.variant(path, 'format=avif')),
    );
    const bodies = await Promise.all(
      responses.map(async (res) => ({
        status: res.status,
        etag: res.headers.get('etag'),
        timing: res.headers.get('server-timing') ?? '',
        hash: sha256Hex(new Uint8Array(await res.arrayBuffer())),
      })),
    );

    expect(bodies.map((b) => b.status)).toEqual(Array(50).fill(200));
    expect(new Set(bodies.map((b) => b.hash)).size).toBe(1);
    expect(new Set(bodies.map((b) => b.etag)).size).toBe(1);
    expect((await origin.metric('imgedge_transforms_total')) - before).toBe(1);
    expect((await origin.metric('imgedge_transforms_total', { result: 'ok' })) - okBefore).toBe(1);
    // The requests really overlapped: one ran the pipeline, others joined its flight.
    const desc = bodies.map((b) => /cache;desc=(\w+)/.exec(b.timing)?.[1]);
    expect(desc.filter((d) => d === 'miss')).toHaveLength(1);
    expect(desc.filter((d) => d === 'shared').length).toBeGreaterThan(0);

    // Afterwards the variant comes from the disk cache, still without a transform.
    const again = await origin.variant(path, 'format=avif');
    expect(again.headers.get('x-variant-cache')).toBe('HIT');
    expect(sha256Hex(new Uint8Array(await again.arrayBuffer()))).toBe(bodies[0]!.hash);
    expect((await origin.metric('imgedge_transforms_total')) - before).toBe(1);
  });
});
