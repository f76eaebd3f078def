/**
 * Bounds the transforms running at once and the transforms waiting. A full queue refuses new work
 * at once with 503 + Retry-After instead of letting latency and memory grow without limit.
 */
import { ImgedgeError } from '../../shared/errors.js';

export interface WorkPoolOptions {
  concurrency: number;
  queue: number;
  /** Seconds suggested to clients when the queue is full. */
  retryAfterSeconds?: number;
  onChange?: (state: { running: number; queued: number }) => void;
  /** Called each time the queue is full and work is refused (`503 overloaded`). */
  onReject?: () => void;
}

export class WorkPool {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly options: WorkPoolOptions) {
    if (options.concurrency < 1) throw new Error('WorkPool concurrency must be at least 1');
  }

  get state() {
    return { running: this.running, queued: this.waiting.length };
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.options.concurrency) {
      if (this.waiting.length >= this.options.queue) {
        this.options.onReject?.();
        throw new ImgedgeError('overloaded', 'Too many images are being processed; retry shortly', {
          headers: { 'retry-after': String(this.options.retryAfterSeconds ?? 2) },
        });
      }
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
        this.changed();
      });
    } else {
      this.running++;
      this.changed();
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // Hand the slot straight to the next waiter, so `running` never dips below the bound.
      if (next) next();
      else this.running--;
      this.changed();
    }
  }

  private changed(): void {
    this.options.onChange?.(this.state);
  }
}
