/**
 * A short-lived lock per key in Redis, shared by every replica: SET NX PX with a random owner
 * token, renewed while held (compare-and-PEXPIRE every third of the TTL), released by its owner only
 * (compare-and-DEL), which also PUBLISHes "done" on the key's channel in the same script. Waiters
 * subscribe to that channel (through the process's SharedSubscriber) and learn either that the
 * holder finished ('done') or that the lock vanished without a notice because its holder died
 * ('expired', checked once each time the lock's remaining TTL lapses — not a busy poll).
 */
import { randomBytes } from 'node:crypto';
import type { RedisConnection } from './redis.js';
import type { SharedSubscriber } from './subscriber.js';

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]); redis.call('PUBLISH', KEYS[2], 'done'); return 1 else return 0 end`;

/** Margin added to a lock's remaining TTL before checking whether it is gone. */
const EXPIRY_MARGIN_MS = 50;

export type WaitOutcome = 'done' | 'expired' | 'timeout';

export interface HeldLock {
  readonly key: string;
  readonly token: string;
  /** Aborted when the lock is lost (a renewal found another owner or no lock). */
  readonly signal: AbortSignal;
  /** Stop renewing and delete the lock if still ours; true when it was ours. Notifies waiters. */
  release(): Promise<boolean>;
}

export interface DistributedLockOptions {
  /** Prefix of the lock keys and of their "done" channels. */
  prefix?: string;
}

export class DistributedLock {
  private readonly prefix: string;

  constructor(
    private readonly redis: RedisConnection,
    private readonly subscriber: SharedSubscriber,
    options: DistributedLockOptions = {},
  ) {
    this.prefix = options.prefix ?? 'imgedge:lock:';
  }

  lockKey(key: string): string {
    return `${this.prefix}${key}`;
  }

  doneChannel(key: string): string {
    return `${this.prefix}done:${key}`;
  }

  /** Take the lock for `ttlMs` (renewed until released), or null when someone else holds it. */
  async acquire(key: string, ttlMs: number): Promise<HeldLock | null> {
    const token = randomBytes(16).toString('hex');
    const lockKey = this.lockKey(key);
    const ok = await this.redis.client.set(lockKey, token, 'PX', ttlMs, 'NX');
    if (ok !== 'OK') return null;

    const controller = new AbortController();
    const renew = setInterval(
      () => {
        this.redis.client.eval(RENEW, 1, lockKey, token, ttlMs).then(
          (renewed) => {
            if (renewed !== 1) lose();
          },
          // Redis unreachable for now: keep trying; if the TTL lapses meanwhile, the next
          // renewal finds the lock gone (or another owner) and reports the loss.
          () => {},
        );
      },
      Math.max(1, Math.floor(ttlMs / 3)),
    );
    renew.unref();
    const lose = () => {
      clearInterval(renew);
      controller.abort(new Error(`lock ${key} lost`));
    };
    return {
      key,
      token,
      signal: controller.signal,
      release: async () => {
        clearInterval(renew);
        const released = await this.redis.client.eval(RELEASE, 2, lockKey, this.doneChannel(key), token);
        return released === 1;
      },
    };
  }

  /**
   * Wait until the current holder of `key` finishes ('done'), or its lock disappears without a
   * notice ('expired': the holder died), or `timeoutMs` passes ('timeout'). Resolves 'done' at once
   * when no lock is held. Rejects when Redis cannot be reached.
   */
  async waitFor(key: string, timeoutMs: number): Promise<WaitOutcome> {
    let settle: (outcome: WaitOutcome) => void = () => {};
    const outcome = new Promise<WaitOutcome>((resolve) => {
      settle = resolve;
    });
    const listening = this.subscriber.listen(this.doneChannel(key), () => settle('done'));
    let expiryTimer: NodeJS.Timeout | undefined;
    let finished = false;
    const deadline = setTimeout(() => settle('timeout'), timeoutMs);
    try {
      // Subscribed first, then looked: a release in between is seen as a missing lock.
      await listening.ready;
      const check = async (first: boolean): Promise<void> => {
        const ttl = await this.redis.client.pttl(this.lockKey(key));
        if (finished) return;
        if (ttl === -2) return settle(first ? 'done' : 'expired');
        // -1 (no TTL) cannot come from acquire(); re-check after a second rather than never.
        const wait = (ttl > 0 ? ttl : 1000) + EXPIRY_MARGIN_MS;
        expiryTimer = setTimeout(() => check(false).catch(() => settle('expired')), wait);
      };
      await check(true);
      return await outcome;
    } finally {
      finished = true;
      clearTimeout(deadline);
      clearTimeout(expiryTimer);
      listening.remove();
    }
  }
}
