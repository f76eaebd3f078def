import { describe, expect, it } from 'vitest';
import { WorkPool } from '../../../origin/variants/work-pool.js';
import { ImgedgeError } from '../../../shared/errors.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('WorkPool', () => {
  it('never runs more than `concurrency` tasks and refuses past the queue with 503 + Retry-After', async () => {
    const pool = new WorkPool({ concurrency: 2, queue: 3, retryAfterSeconds: 5 });
    let running = 0;
    let peak = 0;
    const gates = Array.from({ length: 5 }, deferred);
    const tasks = gates.map((g) =>
      pool.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await g.promise;
        running--;
      }),
    );
    await Promise.resolve();
    expect(pool.state).toEqual({ running: 2, queued: 3 });
    const refused = await pool.run(async () => 'never').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ImgedgeError);
    expect((refused as ImgedgeError).status).toBe(503);
    expect((refused as ImgedgeError).headers['retry-after']).toBe('5');
    for (const g of gates) g.resolve();
    await Promise.all(tasks);
    expect(peak).toBe(2);
    expect(pool.state).toEqual({ running: 0, queued: 0 });
  });

  it('releases its slot when a task throws', async () => {
    const pool = new WorkPool({ concurrency: 1, queue: 0 });
    await expect(pool.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(pool.run(async () => 42)).resolves.toBe(42);
  });
});

/** A pool task that records when it starts and ends when its gate opens. */
function gated(log: string[], name: string) {
  const gate = deferred();
  return {
    gate,
    task: async () => {
      log.push(name);
      await gate.promise;
      return name;
    },
  };
}

/** Lets every resolved promise run its continuations (no timers). */
async function settle() {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe('WorkPool lanes', () => {
  it('on-demand work queued behind a full pool starts before background work queued earlier', async () => {
    const pool = new WorkPool({ concurrency: 2, queue: 4, backgroundSlots: 2 });
    const started: string[] = [];
    const bg = ['b1', 'b2', 'b3', 'b4'].map((n) => gated(started, n));
    const bgRuns = bg.map((b) => pool.run(b.task, { lane: 'background' }));
    await settle();
    expect(started).toEqual(['b1', 'b2']);
    expect(pool.snapshot.lanes.background).toEqual({ running: 2, queued: 2 });
    const od = gated(started, 'o1');
    const odRun = pool.run(od.task);
    await settle();
    expect(pool.snapshot.lanes.on_demand).toEqual({ running: 0, queued: 1 });
    bg[0]!.gate.resolve();
    await settle();
    // The freed slot went to the on-demand task, not to b3 which waited longer.
    expect(started).toEqual(['b1', 'b2', 'o1']);
    bg[1]!.gate.resolve();
    od.gate.resolve();
    await settle();
    expect(started).toEqual(['b1', 'b2', 'o1', 'b3', 'b4']);
    for (const b of bg) b.gate.resolve();
    await expect(odRun).resolves.toBe('o1');
    await Promise.all(bgRuns);
    expect(pool.snapshot).toMatchObject({ running: 0, queued: 0, avifRunning: 0 });
  });

  it('background work never starts while on-demand work waits, and keeps one slot for it', async () => {
    const pool = new WorkPool({ concurrency: 3, queue: 8 });
    expect(pool.backgroundSlots).toBe(2);
    const started: string[] = [];
    const bg = ['b1', 'b2', 'b3'].map((n) => gated(started, n));
    const bgRuns = bg.map((b) => pool.run(b.task, { lane: 'background' }));
    await settle();
    // Two background tasks run, the third waits although a slot is free: it is the on-demand one.
    expect(started).toEqual(['b1', 'b2']);
    const od = ['o1', 'o2'].map((n) => gated(started, n));
    const odRuns = od.map((o) => pool.run(o.task));
    await settle();
    expect(started).toEqual(['b1', 'b2', 'o1']);
    bg[0]!.gate.resolve();
    await settle();
    expect(started).toEqual(['b1', 'b2', 'o1', 'o2']);
    for (const g of [...bg, ...od]) g.gate.resolve();
    await Promise.all([...bgRuns, ...odRuns]);
    expect(started.at(-1)).toBe('b3');
  });

  it('background work has its own bounded queue: full → dropped, never counted against on-demand', async () => {
    let drops = 0;
    let rejects = 0;
    const pool = new WorkPool({
      concurrency: 1,
      queue: 1,
      backgroundQueue: 1,
      onDrop: () => drops++,
      onReject: () => rejects++,
    });
    const started: string[] = [];
    const b1 = gated(started, 'b1');
    const b2 = gated(started, 'b2');
    const runs = [pool.run(b1.task, { lane: 'background' }), pool.run(b2.task, { lane: 'background' })];
    const dropped = await pool.run(async () => 'b3', { lane: 'background' }).catch((e: unknown) => e);
    expect(dropped).toBeInstanceOf(ImgedgeError);
    expect((dropped as ImgedgeError).code).toBe('overloaded');
    expect(drops).toBe(1);
    // The on-demand queue (1) is still free for one waiter.
    const o1 = gated(started, 'o1');
    const odRun = pool.run(o1.task);
    await settle();
    expect(pool.state).toEqual({ running: 1, queued: 1 });
    expect(rejects).toBe(0);
    b1.gate.resolve();
    o1.gate.resolve();
    b2.gate.resolve();
    await Promise.all([...runs, odRun]);
    expect(started).toEqual(['b1', 'o1', 'b2']);
  });

  it('AVIF tasks hold at most ceil(share × concurrency) slots; WebP/JPEG queued behind them go ahead', async () => {
    const pool = new WorkPool({ concurrency: 4, queue: 16, avifShare: 0.5 });
    expect(pool.avifSlots).toBe(2);
    const started: string[] = [];
    const avif = ['a1', 'a2', 'a3', 'a4'].map((n) => gated(started, n));
    const avifRuns = avif.map((a) => pool.run(a.task, { avif: true }));
    await settle();
    expect(started).toEqual(['a1', 'a2']);
    expect(pool.snapshot).toMatchObject({ running: 2, queued: 2, avifRunning: 2 });
    const webp = ['w1', 'w2', 'w3'].map((n) => gated(started, n));
    const webpRuns = webp.map((w) => pool.run(w.task));
    await settle();
    // Two free slots: the first two WebP tasks take them although a3 and a4 came first.
    expect(started).toEqual(['a1', 'a2', 'w1', 'w2']);
    webp[0]!.gate.resolve();
    await settle();
    // A WebP slot freed: w3 (not an AVIF task: the AVIF share is still used up).
    expect(started).toEqual(['a1', 'a2', 'w1', 'w2', 'w3']);
    avif[0]!.gate.resolve();
    await settle();
    expect(started).toEqual(['a1', 'a2', 'w1', 'w2', 'w3', 'a3']);
    for (const g of [...avif, ...webp]) g.gate.resolve();
    await Promise.all([...avifRuns, ...webpRuns]);
    expect(started.at(-1)).toBe('a4');
    expect(pool.snapshot).toMatchObject({ running: 0, queued: 0, avifRunning: 0 });
  });

  it('background AVIF work counts against the share too', async () => {
    const pool = new WorkPool({ concurrency: 4, queue: 4, avifShare: 0.25, backgroundSlots: 4 });
    const started: string[] = [];
    const bg = ['ba1', 'ba2', 'bw1'].map((n) => gated(started, n));
    const runs = bg.map((b, i) => pool.run(b.task, { lane: 'background', avif: i < 2 }));
    await settle();
    expect(started).toEqual(['ba1', 'bw1']);
    const a = gated(started, 'oa1');
    const odRun = pool.run(a.task, { avif: true });
    await settle();
    expect(started).toEqual(['ba1', 'bw1']);
    bg[0]!.gate.resolve();
    await settle();
    // The AVIF slot goes to the on-demand AVIF task, before the background one queued earlier.
    expect(started).toEqual(['ba1', 'bw1', 'oa1']);
    for (const g of [...bg, a]) g.gate.resolve();
    await Promise.all([...runs, odRun]);
    expect(started.at(-1)).toBe('ba2');
  });

  it('reports the time each task waited, by lane', async () => {
    const waits: [string, number][] = [];
    const pool = new WorkPool({ concurrency: 1, queue: 1, onStart: (lane, s) => waits.push([lane, s]) });
    const g = deferred();
    const first = pool.run(() => g.promise);
    const second = pool.run(async () => {}, { lane: 'background' });
    await settle();
    g.resolve();
    await Promise.all([first, second]);
    expect(waits.map(([lane]) => lane)).toEqual(['on_demand', 'background']);
    expect(waits[0]![1]).toBe(0);
    expect(waits[1]![1]).toBeGreaterThanOrEqual(0);
  });
});
