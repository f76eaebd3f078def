/**
 * Runs the deep health checks and keeps their last result in the metrics
 * (`imgedge_health_check_status{check,status}`, `imgedge_health_check_duration_seconds{check}`).
 *
 * When the checks run: every `GET /health` runs them (load balancers probe it every few seconds),
 * and a scrape of `/metrics` reuses that result while it is younger than `maxAgeMs`, else runs
 * them itself. So the gauges are never older than `maxAgeMs` when Prometheus reads them, even
 * where nothing probes `/health` (the Dockerfile HEALTHCHECK probes `/health/live`), and the
 * checks (a database ping and a storage probe) run no more often than the probes and scrapes that
 * ask for them: no timer of its own, nothing to stop at shutdown.
 */
import { HEALTH_STATES, type Metrics } from '../observability/metrics.js';
import { type HealthCheck, type HealthReport, runHealthChecks } from './health.js';

/** How old a /health result a scrape of /metrics may reuse. */
export const HEALTH_METRICS_MAX_AGE_MS = 15_000;

export interface HealthMonitorOptions {
  checks: readonly HealthCheck[];
  timeoutMs: number;
  isShuttingDown: () => boolean;
  metrics: Pick<Metrics, 'healthStatus' | 'healthDuration'>;
}

export class HealthMonitor {
  #last: { at: number; report: HealthReport } | undefined;
  #running: Promise<HealthReport> | undefined;

  constructor(private readonly options: HealthMonitorOptions) {}

  /** Runs every check now (what `GET /health` answers) and records the result. */
  async run(): Promise<HealthReport> {
    const { checks, timeoutMs, isShuttingDown } = this.options;
    const running = runHealthChecks(checks, timeoutMs, isShuttingDown()).then((report) => {
      this.#record(report);
      return report;
    });
    this.#running = running;
    try {
      return await running;
    } finally {
      if (this.#running === running) this.#running = undefined;
    }
  }

  /** The last result if younger than `maxAgeMs` (or a run under way), else a new run. */
  recent(maxAgeMs = HEALTH_METRICS_MAX_AGE_MS): Promise<HealthReport> {
    if (this.#running) return this.#running;
    if (this.#last && performance.now() - this.#last.at < maxAgeMs) return Promise.resolve(this.#last.report);
    return this.run();
  }

  #record(report: HealthReport): void {
    this.#last = { at: performance.now(), report };
    const { healthStatus, healthDuration } = this.options.metrics;
    for (const [check, result] of Object.entries(report.checks)) {
      for (const status of HEALTH_STATES)
        healthStatus.set({ check, status }, status === result.status ? 1 : 0);
      healthDuration.set({ check }, result.latency_ms / 1000);
    }
  }
}
