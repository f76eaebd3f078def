/**
 * DistributedLock against the real Redis: renewal keeps a long task's lock past its TTL; only the
 * owner token releases; a waiter hears "done" from the release itself (its TTL is far longer than
 * the test), and "expired" when a lock lapses without a notice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Coordination } from '../../../origin/coordination/coordination.js';
import { until } from '../../support/redis-server.js';
import { closeAll, requireRedis, startReplicas, uniquePrefix } from './replicas.js';

describe('DistributedLock', () => {
  let replicas: Coordination[] = [];
  afterEach(async () => {
    await closeAll(replicas);
    replicas = [];
  });

  async function two(): Promise<[Coordination, Coordination]> {
    replicas = await startReplicas(2, uniquePrefix());
    return replicas as [Coordination, Coordination];
  }

  it('renewal keeps a long task’s lock well past its TTL', async (ctx) => {
    await requireRedis(ctx);
    const [a, b] = await two();
    const lock = await a.locks.acquire('long', 300);
    expect(lock).not.toBeNull();
    // The task runs for several TTLs.
    await new Promise((r) => setTimeout(r, 2000));
    expect(lock!.signal.aborted).toBe(false);
    expect(await a.redis.client.get(a.locks.lockKey('long'))).toBe(lock!.token);
    expect(await b.locks.acquire('long', 300)).toBeNull();
    expect(await lock!.release()).toBe(true);
    expect(await b.locks.acquire('long', 300)).not.toBeNull();
  });

  it('only the owner token releases: a late release does not delete the next holder’s lock', async (ctx) => {
    await requireRedis(ctx);
    const [a, b] = await two();
    const first = await a.locks.acquire('owned', 30_000);
    expect(first).not.toBeNull();
    // The first holder's lock lapses (as if it stalled past its TTL) and another replica takes it.
    await a.redis.client.del(a.locks.lockKey('owned'));
    const second = await b.locks.acquire('owned', 30_000);
    expect(second).not.toBeNull();

    expect(await first!.release()).toBe(false);
    expect(await b.redis.client.get(b.locks.lockKey('owned'))).toBe(second!.token);
    expect(await second!.release()).toBe(true);
    expect(await b.redis.client.exists(b.locks.lockKey('owned'))).toBe(0);
  });

  it('a renewal that finds another owner aborts the lock’s signal', async (ctx) => {
    await requireRedis(ctx);
    const [a, b] = await two();
    const lock = await a.locks.acquire('stolen', 300);
    expect(lock).not.toBeNull();
    await a.redis.client.set(a.locks.lockKey('stolen'), 'someone-else', 'PX', 30_000);
    await new Promise<void>((resolve) => lock!.signal.addEventListener('abort', () => resolve()));
    expect(lock!.signal.aborted).toBe(true);
    expect(await b.redis.client.get(b.locks.lockKey('stolen'))).toBe('someone-else');
  });

  it('waitFor hears "done" from the release (the lock’s TTL outlasts the test)', async (ctx) => {
    await requireRedis(ctx);
    const [a, b] = await two();
    const lock = await a.locks.acquire('notify', 120_000);
    expect(lock).not.toBeNull();
    const waiting = b.locks.waitFor('notify', 60_000);
    // Released only once the waiter is subscribed, so the notice (not the missing key) decides.
    await until(() => b.subscriber.isSubscribed(b.locks.doneChannel('notify')), 'the waiter subscribed');
    expect(await lock!.release()).toBe(true);
    expect(await waiting).toBe('done');
  });

  it('waitFor reports "expired" when the lock lapses without a notice', async (ctx) => {
    await requireRedis(ctx);
    const [a, b] = await two();
    // A holder that never renews nor releases: the bare key with a TTL.
    await a.redis.client.set(a.locks.lockKey('dead'), 'dead-holder', 'PX', 500);
    expect(await b.locks.waitFor('dead', 20_000)).toBe('expired');
  });

  it('waitFor reports "timeout" while a live holder keeps renewing', async (ctx) => {
    await requireRedis(ctx);
    const [a, b] = await two();
    const lock = await a.locks.acquire('slow', 200);
    expect(await b.locks.waitFor('slow', 1000)).toBe('timeout');
    expect(await lock!.release()).toBe(true);
  });
});
