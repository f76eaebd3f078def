/**
 * Bounds the transforms running at once and the transforms waiting, in two priority lanes:
 *
 * - `on_demand` (the default): work someone waits for (a variant miss, an upload's decode check).
 *   Its queue is bounded by `queue`; past it, new work is refused at once with 503 + Retry-After
 *   instead of letting latency and memory grow without limit.
 * - `background`: best-effort work nobody waits for (eager presets, mezzanines, backfills). It
 *   starts only when a slot is free and no on-demand task could use it, holds at most
 *   `backgroundSlots` slots (one is kept for on-demand work when concurrency > 1), and has its own
 *   bounded queue that never counts against the on-demand one; when that is full the task is
 *   dropped (rejected with `overloaded`, counted through `onDrop`). sharp cannot be preempted, so a
 *   background task that has started runs to its end: background work is cut into small units
 *   (one variant each) and "yields" by never starting while on-demand work waits.
 *
 * AVIF share: AVIF encodes (any lane) hold at most `avifSlots` = ceil(avifShare × concurrency)
 * slots. Further AVIF tasks wait in their lane's queue while WebP/JPEG tasks queued behind them
 * go ahead, so a burst of AVIF misses cannot take every slot.
 *
 * Within a lane the order is first come, first served (an AVIF task held back by its share keeps
 * its place for the next AVIF slot).
 */
import { ImgedgeError } from '../../shared/errors.js';

export const LANES = ['on_demand', 'background'] as const;
export type Lane = (typeof LANES)[number];

export interface RunOptions {
  /** Default `on_demand`. */
  lane?: Lane;
  /** The task is an AVIF encode: it counts against the AVIF share. */
  avif?: boolean;
}

export interface LaneState {
  running: number;
  queued: number;
}

export interface PoolSnapshot {
  running: number;
  /** On-demand tasks waiting (the queue TRANSFORM_QUEUE bounds). */
  queued: number;
  lanes: Record<Lane, LaneState>;
  avifRunning: number;
}

export interface WorkPoolOptions {
  concurrency: number;
  /** On-demand tasks allowed to wait before new ones are refused (503 overloaded). */
  queue: number;
  /** Background tasks allowed to wait before new ones are dropped (default 256). */
  backgroundQueue?: number;
  /** Share of the slots AVIF encodes may hold, (0, 1]; default 1 (no cap). */
  avifShare?: number;
  /** Slots background work may hold; default concurrency − 1 (at least 1). */
  backgroundSlots?: number;
  /** Seconds suggested to clients when the queue is full. */
  retryAfterSeconds?: number;
  onChange?: (state: PoolSnapshot) => void;
  /** Called each time the on-demand queue is full and work is refused (`503 overloaded`). */
  onReject?: () => void;
  /** Called each time the background queue is full and a background task is dropped. */
  onDrop?: () => void;
  /** Called as each task starts, with the seconds it waited for its slot. */
  onStart?: (lane: Lane, waitedSeconds: number) => void;
}

interface Waiter {
  avif: boolean;
  enqueuedAt: number;
  start: () => void;
}

export class WorkPool {
  private running = 0;
  private avifRunning = 0;
  private readonly runningByLane: Record<Lane, number> = { on_demand: 0, background: 0 };
  private readonly waiting: Record<Lane, Waiter[]> = { on_demand: [], background: [] };
  readonly avifSlots: number;
  readonly backgroundSlots: number;

  constructor(private readonly options: WorkPoolOptions) {
    if (options.concurrency < 1) throw new Error('WorkPool concurrency must be at least 1');
    const share = options.avifShare ?? 1;
    if (!(share > 0 && share <= 1)) throw new Error('WorkPool avifShare must be in (0, 1]');
    this.avifSlots = Math.max(1, Math.ceil(share * options.concurrency - 1e-9));
    this.backgroundSlots = Math.min(
      options.concurrency,
      Math.max(1, options.backgroundSlots ?? options.concurrency - 1),
    );
  }

  get concurrency(): number {
    return this.options.concurrency;
  }

  /** Running tasks (both lanes) and on-demand tasks waiting. */
  get state(): { running: number; queued: number } {
    return { running: this.running, queued: this.waiting.on_demand.length };
  }

  get snapshot(): PoolSnapshot {
    return {
      running: this.running,
      queued: this.waiting.on_demand.length,
      lanes: {
        on_demand: { running: this.runningByLane.on_demand, queued: this.waiting.on_demand.length },
        background: { running: this.runningByLane.background, queued: this.waiting.background.length },
      },
      avifRunning: this.avifRunning,
    };
  }

  /**
   * Runs `task` in a slot of `options.lane`. On-demand: refused with 503 `overloaded` when its
   * queue is full. Background: rejected with `overloaded` (and counted as dropped) when the
   * background queue is full; callers treat that as "not now" (see background.ts).
   */
  async run<T>(task: () => Promise<T>, options: RunOptions = {}): Promise<T> {
    const lane = options.lane ?? 'on_demand';
    const avif = options.avif === true;
    // After every change pump() leaves no waiter that could start, so a task that can start now
    // overtakes only waiters that cannot (AVIF tasks held back by the share, background work).
    if (this.canStart(lane, avif)) {
      this.begin(lane, avif, 0);
      this.changed();
    } else {
      this.admit(lane);
      await new Promise<void>((resolve) => {
        this.waiting[lane].push({ avif, enqueuedAt: performance.now(), start: resolve });
        this.changed();
      });
    }
    try {
      return await task();
    } finally {
      this.running--;
      this.runningByLane[lane]--;
      if (avif) this.avifRunning--;
      this.pump();
      this.changed();
    }
  }

  /** Throws when `lane`'s queue has no room for one more waiter. */
  private admit(lane: Lane): void {
    if (lane === 'on_demand') {
      if (this.waiting.on_demand.length < this.options.queue) return;
      this.options.onReject?.();
      throw new ImgedgeError('overloaded', 'Too many images are being processed; retry shortly', {
        headers: { 'retry-after': String(this.options.retryAfterSeconds ?? 2) },
      });
    }
    if (this.waiting.background.length < (this.options.backgroundQueue ?? 256)) return;
    this.options.onDrop?.();
    throw new ImgedgeError('overloaded', 'The background work queue is full; the task was dropped');
  }

  /** Whether a task of this lane and kind may take a slot now (queues aside). */
  private canStart(lane: Lane, avif: boolean): boolean {
    if (this.running >= this.options.concurrency) return false;
    if (avif && this.avifRunning >= this.avifSlots) return false;
    if (lane === 'on_demand') return true;
    if (this.runningByLane.background >= this.backgroundSlots) return false;
    // Background work never takes a slot an on-demand task waiting now could use.
    return this.nextEligible('on_demand') < 0;
  }

  /** Index of the first waiter of `lane` that the AVIF share lets start, or -1. */
  private nextEligible(lane: Lane): number {
    const avifFull = this.avifRunning >= this.avifSlots;
    return this.waiting[lane].findIndex((w) => !(w.avif && avifFull));
  }

  /** Hands free slots to waiters: on-demand first, then background. */
  private pump(): void {
    for (const lane of LANES) {
      while (this.running < this.options.concurrency) {
        const i = this.nextEligible(lane);
        if (i < 0) break;
        const w = this.waiting[lane][i]!;
        if (!this.canStart(lane, w.avif)) break;
        this.waiting[lane].splice(i, 1);
        this.begin(lane, w.avif, (performance.now() - w.enqueuedAt) / 1000);
        w.start();
      }
    }
  }

  private begin(lane: Lane, avif: boolean, waitedSeconds: number): void {
    this.running++;
    this.runningByLane[lane]++;
    if (avif) this.avifRunning++;
    this.options.onStart?.(lane, waitedSeconds);
  }

  private changed(): void {
    this.options.onChange?.(this.snapshot);
  }
}
