/**
 * Background work: best-effort tasks nobody waits for (eager presets, mezzanines, backfills), run
 * in the work pool's background lane (work-pool.ts): only in idle slots, never before on-demand
 * work, dropped when their queue is full. A failure or a drop is logged and counted
 * (`imgedge_background_tasks_total{task,result}`), never thrown at whoever submitted the task.
 *
 * One task is one small unit (one variant): sharp cannot be preempted, so the unit is how long
 * an on-demand request may wait behind background work that has already started.
 */
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { WorkPool } from './work-pool.js';

export interface BackgroundTaskOptions {
  /** The task is an AVIF encode (counts against TRANSFORM_AVIF_SHARE). */
  avif?: boolean;
  /** Logged with a failure or a drop (e.g. image_id, preset). */
  context?: Record<string, unknown>;
}

export type BackgroundResult = 'ok' | 'error' | 'dropped';

export class BackgroundWork {
  private readonly pending = new Set<Promise<BackgroundResult>>();
  private stopped = false;

  constructor(
    private readonly deps: {
      pool: WorkPool;
      logger: Pick<Logger, 'warn' | 'debug'>;
      metrics: Pick<Metrics, 'backgroundTasks'>;
    },
  ) {}

  /**
   * Queue `work` (named `task` in logs and metrics) for an idle slot and return at once. `work`
   * runs inside its pool slot: it must not wait for another pool slot itself.
   * The returned promise settles with how it went and never rejects (tests may await it).
   */
  submit(
    task: string,
    work: () => Promise<unknown>,
    options: BackgroundTaskOptions = {},
  ): Promise<BackgroundResult> {
    const { logger, metrics, pool } = this.deps;
    let started = false;
    const done = pool
      .run(
        async () => {
          started = true;
          // Queued before a shutdown began: skipped, not run against closing resources.
          if (this.stopped) return 'dropped' as const;
          await work();
          return 'ok' as const;
        },
        { lane: 'background', avif: options.avif === true },
      )
      .catch((err: unknown): BackgroundResult => {
        if (!started) {
          logger.debug({ task, ...options.context }, 'background queue full; task dropped');
          return 'dropped';
        }
        logger.warn({ err, task, ...options.context }, 'background task failed');
        return 'error';
      })
      .then((result) => {
        metrics.backgroundTasks.inc({ task, result });
        this.pending.delete(done);
        return result;
      });
    this.pending.add(done);
    return done;
  }

  /** Tasks submitted and not settled yet (queued or running). */
  get size(): number {
    return this.pending.size;
  }

  /** Resolves when every task submitted so far has settled. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  /** Shutdown: tasks still queued are skipped; resolves when the running ones have finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
  }
}
