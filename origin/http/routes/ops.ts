import { Hono } from 'hono';
import type { Metrics } from '../../observability/metrics.js';
import type { HealthCheck } from '../../ops/health.js';
import { HealthMonitor } from '../../ops/health-monitor.js';
import type { OriginEnv } from '../env.js';

export interface OpsRouteDeps {
  checks: readonly HealthCheck[];
  metrics: Metrics;
  isShuttingDown: () => boolean;
  checkTimeoutMs?: number;
}

/**
 * /health (deep), /health/live (cheap liveness) and /metrics (Prometheus). The health checks'
 * last result is in /metrics too: a scrape reuses a recent /health run or runs the checks (see
 * ops/health-monitor.ts).
 */
export function opsRoutes(deps: OpsRouteDeps) {
  const app = new Hono<OriginEnv>();
  const health = new HealthMonitor({
    checks: deps.checks,
    timeoutMs: deps.checkTimeoutMs ?? 2000,
    isShuttingDown: deps.isShuttingDown,
    metrics: deps.metrics,
  });
  app.get('/health/live', (c) => {
    c.header('cache-control', 'no-store');
    return c.json({ status: 'ok' });
  });
  app.get('/health', async (c) => {
    const report = await health.run();
    c.header('cache-control', 'no-store');
    return c.json(report, report.status === 'fail' ? 503 : 200);
  });
  app.get('/metrics', async (c) => {
    await health.recent();
    c.header('content-type', deps.metrics.registry.contentType);
    return c.body(await deps.metrics.registry.metrics());
  });
  return app;
}
