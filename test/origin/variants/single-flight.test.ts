import { describe, expect, it } from 'vitest';
import { SingleFlight } from '../../../origin/variants/single-flight.js';

describe('SingleFlight', () => {
  it('runs one task for concurrent callers of a key, and again once it settled', async () => {
    const flight = new SingleFlight<number>();
    let runs = 0;
    const task = async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 10));
      return runs;
    };
    const calls = Array.from({ length: 50 }, () => flight.do('k', task));
    expect(calls.filter((c) => !c.shared)).toHaveLength(1);
    expect(new Set(await Promise.all(calls.map((c) => c.promise)))).toEqual(new Set([1]));
    expect(flight.size).toBe(0);
    await flight.do('k', task).promise;
    expect(runs).toBe(2);
  });

  it('shares errors and forgets the key after them', async () => {
    const flight = new SingleFlight<number>();
    const a = flight.do('k', async () => Promise.reject(new Error('bad')));
    const b = flight.do('k', async () => 1);
    await expect(a.promise).rejects.toThrow('bad');
    await expect(b.promise).rejects.toThrow('bad');
    await expect(flight.do('k', async () => 7).promise).resolves.toBe(7);
  });
});
