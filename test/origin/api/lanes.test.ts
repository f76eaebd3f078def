/**
 * Priority lanes over real HTTP (origin/variants/work-pool.ts, background.ts): background work
 * fills the pool, an on-demand variant asked for afterwards still runs before the background tasks
 * queued ahead of it; the lanes' queue depth and wait time are in /metrics. Ordering is observed
 * through the tasks themselves and the origin's counters, never through wall time.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../support/db.js';
import { photoJpeg } from '../../support/images.js';
import { startTestOrigin, type TestOrigin } from '../../support/origin.js';
import { type ImageRecord, uploadOk } from './helpers.js';

let origin: TestOrigin;
let image: ImageRecord;

beforeAll(async () => {
  origin = await startTestOrigin({ TRANSFORM_CONCURRENCY: '1', TRANSFORM_QUEUE: '4' });
  image = await uploadOk(origin, await photoJpeg(800, 600, 15), await origin.craftToken({ sub: 'lanes' }));
});
afterAll(() => origin?.close());

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Waits (polling /metrics, no deadline of its own) until a gauge reaches `value`. */
async function until(name: string, labels: Record<string, string>, value: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((await origin.metric(name, labels)) === value) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  expect(await origin.metric(name, labels), `${name} ${JSON.stringify(labels)}`).toBe(value);
}

describeDb('origin: priority lanes', () => {
  it('an on-demand variant runs before the background tasks queued ahead of it', async () => {
    const { background } = origin.server.runtime;
    const webpDone = () => origin.metric('imgedge_transforms_total', { format: 'webp', result: 'ok' });
    const before = await webpDone();
    const waitsBefore = await origin.metric('imgedge_transform_wait_seconds_count', { lane: 'on_demand' });
    // One background task holds the only slot; two more wait in the background queue.
    const gates = [deferred(), deferred(), deferred()];
    const seen: { task: number; webpTransformsDone: number }[] = [];
    const runs = gates.map((gate, task) =>
      background.submit('test', async () => {
        seen.push({ task, webpTransformsDone: (await webpDone()) - before });
        await gate.promise;
      }),
    );
    await until('imgedge_transform_lane_in_flight', { lane: 'background' }, 1);
    await until('imgedge_transform_lane_queue_depth', { lane: 'background' }, 2);

    const variant = origin.variant(`w=321/${image.id}`, 'format=webp');
    await until('imgedge_transform_lane_queue_depth', { lane: 'on_demand' }, 1);
    expect(await origin.metric('imgedge_transform_queue_depth')).toBe(1);
    // The background task that was running finishes: the slot goes to the on-demand variant.
    gates[0]!.resolve();
    const res = await variant;
    expect(res.status).toBe(200);
    expect(res.headers.get('server-timing')).toMatch(/cache;desc=miss, transform;dur=/);
    await res.arrayBuffer();
    gates[1]!.resolve();
    gates[2]!.resolve();
    expect(await Promise.all(runs)).toEqual(['ok', 'ok', 'ok']);
    // Task 0 ran before the variant was asked for; tasks 1 and 2, queued before it, ran after it.
    expect(seen).toEqual([
      { task: 0, webpTransformsDone: 0 },
      { task: 1, webpTransformsDone: 1 },
      { task: 2, webpTransformsDone: 1 },
    ]);
    // The wait of each lane is in /metrics; both queues are empty again.
    expect(
      (await origin.metric('imgedge_transform_wait_seconds_count', { lane: 'on_demand' })) - waitsBefore,
    ).toBe(1);
    expect(
      await origin.metric('imgedge_transform_wait_seconds_count', { lane: 'background' }),
    ).toBeGreaterThanOrEqual(3);
    expect(await origin.metric('imgedge_transform_lane_queue_depth', { lane: 'background' })).toBe(0);
    expect(await origin.metric('imgedge_transform_lane_queue_depth', { lane: 'on_demand' })).toBe(0);
    expect(await origin.metric('imgedge_background_tasks_total', { task: 'test', result: 'ok' })).toBe(3);
  });

  it('a full background queue drops work (counted) and never refuses an on-demand variant', async () => {
    const { background, pool } = origin.server.runtime;
    const gate = deferred();
    const queueBound = origin.config.transform.backgroundQueue;
    const droppedBefore = await origin.metric('imgedge_transform_background_dropped_total');
    const runs = Array.from({ length: queueBound + 3 }, () => background.submit('flood', () => gate.promise));
    expect(pool.snapshot.lanes.background).toEqual({ running: 1, queued: queueBound });
    expect(await origin.metric('imgedge_transform_background_dropped_total')).toBe(droppedBefore + 2);
    // The on-demand queue is untouched: a variant waits for the running task, then goes first.
    const variant = origin.variant(`w=322/${image.id}`, 'format=jpeg');
    await until('imgedge_transform_lane_queue_depth', { lane: 'on_demand' }, 1);
    gate.resolve();
    const res = await variant;
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const results = await Promise.all(runs);
    expect(results.filter((r) => r === 'dropped')).toHaveLength(2);
    expect(await origin.metric('imgedge_background_tasks_total', { task: 'flood', result: 'dropped' })).toBe(
      2,
    );
  });
});

describeDb('origin: priority lanes with two slots', () => {
  let two: TestOrigin;
  beforeAll(async () => {
    two = await startTestOrigin({ TRANSFORM_CONCURRENCY: '2' });
  });
  afterAll(() => two?.close());

  it('background work never takes the last slot: an on-demand variant runs while it is all stuck', async () => {
    const token = await two.craftToken({ sub: 'lanes-two' });
    const res = await two.upload(await photoJpeg(600, 400, 16), token);
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as ImageRecord;
    const { background, pool } = two.server.runtime;
    const gate = deferred();
    const runs = Array.from({ length: 3 }, () => background.submit('stuck', () => gate.promise));
    expect(pool.snapshot.lanes.background).toEqual({ running: 1, queued: 2 });
    // Served while every background task is still blocked: it never waited for one.
    const variant = await two.variant(`w=123/${id}`, 'format=webp');
    expect(variant.status).toBe(200);
    expect(variant.headers.get('server-timing')).toMatch(/cache;desc=miss, transform;dur=/);
    await variant.arrayBuffer();
    expect(pool.snapshot.lanes.background).toEqual({ running: 1, queued: 2 });
    gate.resolve();
    expect(await Promise.all(runs)).toEqual(['ok', 'ok', 'ok']);
  });
});
