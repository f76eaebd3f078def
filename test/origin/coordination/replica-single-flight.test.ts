/**
 * Single-flight across replicas against the real Redis: identical concurrent misses on several
 * replicas (separate connections) run the work once and all get the same bytes from tier 2 (a
 * shared folder here); a lock holder that dies (a child process, SIGKILLed) is taken over by a
 * waiter once its TTL lapses.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Coordination } from '../../../origin/coordination/coordination.js';
import type { FlightEvent, FlightWork } from '../../../origin/coordination/replica-single-flight.js';
import { until } from '../../support/redis-server.js';
import { TEST_REDIS_URL } from '../../support/services.js';
import { closeAll, requireRedis, startReplicas, uniquePrefix } from './replicas.js';

/** Tier 2 as a folder shared by the replicas: produce writes the file, fetchExisting reads it. */
function tier2Work(dir: string, key: string, bytes: Buffer, counter: { runs: number }, gate?: Promise<void>) {
  const file = join(dir, key);
  return {
    produce: async () => {
      counter.runs++;
      await gate;
      await writeFile(file, bytes);
      return bytes;
    },
    fetchExisting: () => readFile(file).catch(() => undefined),
  } satisfies FlightWork<Buffer>;
}

describe('ReplicaSingleFlight across replicas', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('N concurrent misses on separate replicas produce once; every caller gets the same bytes', async (ctx) => {
    await requireRedis(ctx);
    const prefix = uniquePrefix();
    const dir = await mkdtemp(join(tmpdir(), 'imgedge-flight-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const replicas = await startReplicas(5, prefix);
    cleanup.push(() => closeAll(replicas));

    const events: FlightEvent[] = [];
    let openGate: () => void = () => {};
    const gate = new Promise<void>((r) => {
      openGate = r;
    });
    const flights = replicas.map((r) => r.singleFlight<Buffer>({ onEvent: (e) => events.push(e) }));
    const counter = { runs: 0 };
    const bytes = Buffer.from('variant bytes');
    // Three callers per replica: in-process and cross-replica sharing at once.
    const results = flights.flatMap((f) =>
      [1, 2, 3].map(() => f.run('variant-1', tier2Work(dir, 'variant-1', bytes, counter, gate))),
    );
    // The holder finishes only once every other replica is waiting on it.
    await until(() => events.filter((e) => e.type === 'wait').length >= 4, 'four replicas waiting');
    openGate();
    const all = await Promise.all(results);

    expect(counter.runs).toBe(1);
    expect(all).toHaveLength(15);
    for (const result of all) expect(result.equals(bytes)).toBe(true);
    expect(events.filter((e) => e.type === 'acquired')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'wait')).toHaveLength(4);
    expect(events.filter((e) => e.type === 'fallback' || e.type === 'takeover')).toHaveLength(0);
    expect(await replicas[0]!.redis.client.exists(replicas[0]!.locks.lockKey('variant-1'))).toBe(0);
  });

  it('a holder that dies (SIGKILL) is taken over by a waiter after its TTL, which produces', async (ctx) => {
    await requireRedis(ctx);
    const prefix = uniquePrefix();
    const dir = await mkdtemp(join(tmpdir(), 'imgedge-flight-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const [replica] = (await startReplicas(1, prefix)) as [Coordination];
    cleanup.push(() => replica.close());

    const holder = spawnHolder(TEST_REDIS_URL, `${prefix}lock:`, 'variant-2', 1000);
    cleanup.push(() => kill(holder));
    expect(await firstLine(holder)).toBe('held');

    const events: FlightEvent[] = [];
    const counter = { runs: 0 };
    const bytes = Buffer.from('taken over');
    const flight = replica.singleFlight<Buffer>({ lockTtlMs: 1000, onEvent: (e) => events.push(e) });
    const result = flight.run('variant-2', tier2Work(dir, 'variant-2', bytes, counter));
    await until(() => events.some((e) => e.type === 'wait'), 'the replica waiting on the holder');
    await kill(holder);

    expect((await result).equals(bytes)).toBe(true);
    expect(counter.runs).toBe(1);
    expect(events.map((e) => e.type)).toEqual(['wait', 'takeover']);
  });
});

function spawnHolder(url: string, prefix: string, key: string, ttlMs: number): ChildProcess {
  // `node --import tsx` is one process: SIGKILL ends the holder itself (no wrapper in between).
  return spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, '../../support/lock-holder.ts'),
      url,
      prefix,
      key,
      String(ttlMs),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
}

async function firstLine(child: ChildProcess): Promise<string> {
  let out = '';
  for await (const chunk of child.stdout!) {
    out += String(chunk);
    if (out.includes('\n')) break;
  }
  return out.trim();
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}
