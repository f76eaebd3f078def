/**
 * EAGER_PRESETS over real HTTP (origin/variants/eager.ts): an upload's 201 goes out while its
 * preset variants wait in the background lane; once they ran, the variant the edge asks for first
 * (the preset's canonical options, ?format=<class>) is a tier-1 hit with no transform on the
 * request path (Server-Timing). A failed eager render is counted and logged, never answered.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { compilePreset, DEFAULT_PRESETS } from '../../../shared/options/index.js';
import { describeDb } from '../../support/db.js';
import { photoJpeg } from '../../support/images.js';
import { startTestOrigin, type TestOrigin } from '../../support/origin.js';
import { bearer, type ImageRecord } from './helpers.js';

let origin: TestOrigin;
const thumb = compilePreset('thumb', DEFAULT_PRESETS.thumb!);

beforeAll(async () => {
  // Two slots: one for the upload's checks, one the background lane may take.
  origin = await startTestOrigin({ TRANSFORM_CONCURRENCY: '2', EAGER_PRESETS: 'thumb' });
});
afterAll(() => origin?.close());

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Holds the background lane's only slot until released. */
function holdBackgroundSlot() {
  const gate = deferred();
  const done = origin.server.runtime.background.submit('hold', () => gate.promise);
  return async () => {
    gate.resolve();
    await done;
  };
}

const eager = (result: string) =>
  origin.metric('imgedge_background_tasks_total', { task: 'eager_preset', result });

describeDb('origin: EAGER_PRESETS', () => {
  it('the 201 does not wait; then the first request of each format class is a hit without a transform', async () => {
    const token = await origin.craftToken({ sub: 'eager' });
    const okBefore = await eager('ok');
    const release = holdBackgroundSlot();
    const res = await origin.upload(await photoJpeg(640, 480, 21), token);
    expect(res.status).toBe(201);
    const image = (await res.json()) as ImageRecord;
    // Answered while its three eager variants (avif, webp, jpeg) still wait for the busy lane.
    expect(origin.server.runtime.pool.snapshot.lanes.background).toEqual({ running: 1, queued: 3 });
    await release();
    await origin.server.runtime.background.idle();
    expect((await eager('ok')) - okBefore).toBe(3);

    const transforms = await origin.metric('imgedge_transforms_total');
    for (const [cls, format] of [
      ['avif', 'heif'],
      ['webp', 'webp'],
      ['jpeg', 'jpeg'],
    ] as const) {
      const v = await origin.variant(`${thumb.canonical}/${image.id}`, `format=${cls}`);
      expect(v.status).toBe(200);
      const timing = v.headers.get('server-timing') ?? '';
      expect(timing).toMatch(/^cache;desc=hit, total;dur=/);
      expect(timing).not.toContain('transform');
      expect(v.headers.get('x-variant-cache')).toBe('HIT');
      const meta = await sharp(Buffer.from(await v.arrayBuffer())).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual([format, 200, 200]);
    }
    expect(await origin.metric('imgedge_transforms_total')).toBe(transforms);

    // The same bytes again (200, the existing record): nothing new is rendered.
    const again = await origin.upload(await photoJpeg(640, 480, 21), token);
    expect(again.status).toBe(200);
    await again.arrayBuffer();
    expect(origin.server.runtime.background.size).toBe(0);
  });

  it('an eager render that fails is counted and logged; the upload was already answered', async () => {
    const token = await origin.craftToken({ sub: 'eager-gone' });
    const errorsBefore = await eager('error');
    const release = holdBackgroundSlot();
    const res = await origin.upload(await photoJpeg(300, 200, 22), token);
    expect(res.status).toBe(201);
    const image = (await res.json()) as ImageRecord;
    // Deleted (bytes and all) before its eager variants get a slot.
    const del = await fetch(`${origin.api}/images/${image.id}`, { method: 'DELETE', headers: bearer(token) });
    expect(del.status).toBe(204);
    await release();
    await origin.server.runtime.background.idle();
    expect((await eager('error')) - errorsBefore).toBe(3);
    const failed = origin.logs.filter((l) => l.msg === 'background task failed' && l.image_id === image.id);
    expect(failed.map((l) => l.format).sort()).toEqual(['avif', 'jpeg', 'webp']);
    expect(failed.every((l) => l.task === 'eager_preset' && l.preset === 'thumb')).toBe(true);
  });
});
