/**
 * Invalidation over the real Redis: a forget on one replica runs the handlers of every replica —
 * the sender's at once and exactly once, the two others' through pub/sub — and the id-cache TTL is
 * the long one while the subscription is healthy.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Coordination } from '../../../origin/coordination/coordination.js';
import { until } from '../../support/redis-server.js';
import { closeAll, requireRedis, startReplicas, uniquePrefix } from './replicas.js';

describe('Invalidation', () => {
  let replicas: Coordination[] = [];
  afterEach(async () => {
    await closeAll(replicas);
    replicas = [];
  });

  it('a forget on one replica reaches the two others, and the sender once', async (ctx) => {
    await requireRedis(ctx);
    replicas = await startReplicas(3, uniquePrefix());
    const [a, b, c] = replicas as [Coordination, Coordination, Coordination];
    const seen = replicas.map(() => [] as string[]);
    for (const [i, r] of replicas.entries()) r.invalidation.onForget((id) => seen[i]!.push(id));
    for (const r of replicas) expect(r.invalidation.currentTtlMs()).toBe(300_000);

    expect(await a.invalidation.forget('img-1')).toBe(true);
    expect(seen[0]).toEqual(['img-1']); // the sender, synchronously
    await until(() => seen[1]!.length > 0 && seen[2]!.length > 0, 'the other replicas hearing the forget');
    expect(seen[1]).toEqual(['img-1']);
    expect(seen[2]).toEqual(['img-1']);

    // Messages arrive in order on a's subscriber: once b's forget is in, a's own echo (if any) is too.
    await b.invalidation.forget('img-2');
    await until(() => seen[0]!.includes('img-2'), 'replica a hearing b');
    expect(seen[0]).toEqual(['img-1', 'img-2']);
    await until(() => seen[2]!.includes('img-2'), 'replica c hearing b');
    expect(seen[2]).toEqual(['img-1', 'img-2']);
    expect(c.invalidation.healthy).toBe(true);
  });
});
