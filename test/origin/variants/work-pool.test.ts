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
