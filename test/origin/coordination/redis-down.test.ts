/**
 * Coordination while Redis is down, against a throwaway redis-server that the test stops and
 * restarts (the shared one is never touched): status turns 'down'; single-flight falls back to
 * local and still produces once per process; forgets still run locally; the id-cache TTL is short
 * and holders of long-TTL entries are told to reset; /health's check says degraded, not failed.
 * After the restart everything recovers: status up, TTL long, one production across replicas.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Coordination } from '../../../origin/coordination/coordination.js';
import type { FlightEvent } from '../../../origin/coordination/replica-single-flight.js';
import { startThrowawayRedis, type ThrowawayRedis, until } from '../../support/redis-server.js';
import { closeAll, startReplicas, uniquePrefix } from './replicas.js';

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

describe.skipIf(!hasRedisServer)('coordination with Redis down (throwaway redis-server)', () => {
  let server: ThrowawayRedis;
  let replicas: [Coordination, Coordination];
  const events: FlightEvent[][] = [[], []];
  let resets = 0;

  beforeAll(async () => {
    server = await startThrowawayRedis();
    replicas = (await startReplicas(2, uniquePrefix(), server.url)) as [Coordination, Coordination];
    for (const r of replicas) r.invalidation.onReset(() => resets++);
  });
  afterAll(async () => {
    await closeAll(replicas ?? []);
    await server?.stop();
  });

  /** `perReplica` concurrent calls on each replica for `key`; how many times the work ran. */
  async function runEverywhere(
    key: string,
    perReplica: number,
  ): Promise<{ runs: number; results: string[] }> {
    const stored = new Map<string, string>();
    let runs = 0;
    const calls = replicas.flatMap((r, i) => {
      const flight = r.singleFlight<string>({ lockTtlMs: 1000, onEvent: (e) => events[i]!.push(e) });
      return Array.from({ length: perReplica }, () =>
        flight.run(key, {
          produce: async () => {
            runs++;
            await new Promise((res) => setTimeout(res, 100));
            stored.set(key, `bytes of ${key}`);
            return `bytes of ${key}`;
          },
          fetchExisting: async () => stored.get(key),
        }),
      );
    });
    const results = await Promise.all(calls);
    return { runs, results };
  }

  it('up: healthy, long TTL, the health check ok', async () => {
    for (const r of replicas) {
      expect(r.redis.status).toBe('up');
      expect(r.invalidation.currentTtlMs()).toBe(300_000);
      expect(await r.healthCheck.run()).toEqual({ status: 'ok' });
    }
  });

  it('down: status down, short TTL, reset told, degraded health, local single-flight once per process', async () => {
    const resetsBefore = resets;
    await server.stop();
    await until(
      () => replicas.every((r) => r.redis.status === 'down' && !r.invalidation.healthy),
      'replicas seeing Redis down',
    );

    for (const r of replicas) {
      expect(r.invalidation.currentTtlMs()).toBe(2000);
      const health = await r.healthCheck.run();
      expect(health.status).toBe('degraded');
      expect(health.status === 'degraded' && health.error).toMatch(/^redis down/);
    }
    expect(resets - resetsBefore).toBe(2);

    events[0]!.length = 0;
    events[1]!.length = 0;
    const { runs, results } = await runEverywhere('down-key', 4);
    expect(runs).toBe(2); // once per process
    expect(new Set(results)).toEqual(new Set(['bytes of down-key']));
    for (const e of events) expect(e.map((x) => x.type)).toEqual(['fallback']);

    // A forget still reaches this process's own handlers; the others rely on the short TTL.
    const seen: string[] = [];
    replicas[0].invalidation.onForget((id) => seen.push(id));
    expect(await replicas[0].invalidation.forget('img-down')).toBe(false);
    expect(seen).toEqual(['img-down']);
  });

  it('restarted: recovers to up, long TTL and one production across replicas', async () => {
    const resetsBefore = resets;
    await server.start();
    await until(() => replicas.every((r) => r.redis.isUp && r.invalidation.healthy), 'replicas reconnected');

    for (const r of replicas) {
      expect(r.invalidation.currentTtlMs()).toBe(300_000);
      expect(await r.healthCheck.run()).toEqual({ status: 'ok' });
    }
    expect(resets - resetsBefore).toBe(2);

    events[0]!.length = 0;
    events[1]!.length = 0;
    const { runs, results } = await runEverywhere('up-again-key', 3);
    expect(runs).toBe(1);
    expect(new Set(results)).toEqual(new Set(['bytes of up-again-key']));
    expect(events.flat().filter((e) => e.type === 'fallback')).toHaveLength(0);
    expect(events.flat().filter((e) => e.type === 'acquired')).toHaveLength(1);
  });
});
