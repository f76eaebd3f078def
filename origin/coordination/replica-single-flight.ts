/**
 * Single-flight across replicas for one kind of work (the variant path): concurrent misses for the
 * same key, on any number of replicas, run `produce` once. Within a process, callers share one
 * flight (the in-process SingleFlight). Across processes, the flight that takes the Redis lock
 * checks `fetchExisting` once more (another replica may have just finished) and then produces
 * under the lock; the others wait for its "done" notice and read the result with `fetchExisting`
 * (tier 2), or take over when the holder died. While Redis is down — or as soon as a Redis call
 * fails — the flight produces locally, so each process still produces at most once per key.
 */
import { SingleFlight } from '../variants/single-flight.js';
import type { DistributedLock } from './distributed-lock.js';
import type { RedisConnection } from './redis.js';

export type FlightEvent =
  /** This process took the lock and runs (or finds) the result. */
  | { type: 'acquired'; key: string }
  /** Another replica holds the lock: this process waits for it. */
  | { type: 'wait'; key: string }
  /** The holder died (its lock expired without a notice) and this process took over. */
  | { type: 'takeover'; key: string }
  /** The holder ran past the wait timeout: this process produces without the lock. */
  | { type: 'wait-timeout'; key: string }
  /** Redis is down or failed: this process produces with local single-flight only. */
  | { type: 'fallback'; key: string; reason: string };

export interface FlightWork<T> {
  /** Run the work (e.g. the transform) and store its result where `fetchExisting` finds it. */
  produce: () => Promise<T>;
  /** The stored result (tier 2), or undefined when there is none. */
  fetchExisting: () => Promise<T | undefined>;
}

export interface ReplicaSingleFlightOptions {
  /** Lock TTL; the lock is renewed every third of it while `produce` runs. */
  lockTtlMs?: number;
  /** How long a waiter waits for a live holder before producing itself (above the work's timeout). */
  waitTimeoutMs?: number;
  onEvent?: (event: FlightEvent) => void;
}

export class ReplicaSingleFlight<T> {
  private readonly local = new SingleFlight<T>();
  private readonly lockTtlMs: number;
  private readonly waitTimeoutMs: number;
  private readonly onEvent: (event: FlightEvent) => void;

  constructor(
    private readonly redis: RedisConnection | undefined,
    private readonly locks: DistributedLock | undefined,
    options: ReplicaSingleFlightOptions = {},
  ) {
    this.lockTtlMs = options.lockTtlMs ?? 5000;
    this.waitTimeoutMs = options.waitTimeoutMs ?? 60_000;
    this.onEvent = options.onEvent ?? (() => {});
  }

  /** The result for `key`, produced at most once across replicas while Redis is up. */
  run(key: string, work: FlightWork<T>): Promise<T> {
    return this.local.do(key, () => this.acrossReplicas(key, work)).promise;
  }

  private async acrossReplicas(key: string, work: FlightWork<T>): Promise<T> {
    const { redis, locks } = this;
    if (!redis || !locks) return work.produce();
    if (!redis.isUp) return this.fallback(key, work, 'redis down');
    let takingOver = false;
    for (;;) {
      let lock: Awaited<ReturnType<DistributedLock['acquire']>>;
      try {
        lock = await locks.acquire(key, this.lockTtlMs);
      } catch (err) {
        return this.fallback(key, work, reason(err));
      }
      if (lock) {
        this.onEvent({ type: takingOver ? 'takeover' : 'acquired', key });
        try {
          return (await work.fetchExisting()) ?? (await work.produce());
        } finally {
          // Not released (Redis down, or lost): waiters find the result after the TTL lapses.
          await lock.release().catch(() => false);
        }
      }
      this.onEvent({ type: 'wait', key });
      let outcome: Awaited<ReturnType<DistributedLock['waitFor']>>;
      try {
        outcome = await locks.waitFor(key, this.waitTimeoutMs);
      } catch (err) {
        return this.fallback(key, work, reason(err));
      }
      if (outcome === 'timeout') {
        this.onEvent({ type: 'wait-timeout', key });
        return work.produce();
      }
      const existing = await work.fetchExisting();
      if (existing !== undefined) return existing;
      // 'expired': the holder died. 'done' without a result: the holder failed. Either way, try
      // to take the lock and produce (or wait for whoever got it first).
      takingOver = outcome === 'expired';
    }
  }

  private fallback(key: string, work: FlightWork<T>, why: string): Promise<T> {
    this.onEvent({ type: 'fallback', key, reason: why });
    return work.produce();
  }
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
