import { Hono } from 'hono';
import type { Metrics } from '../../observability/metrics.js';
import { type HealthCheck, runHealthChecks } from '../../ops/health.js';
import type { OriginEnv } from '../env.js';

export interface OpsRouteDeps {
  checks: readonly HealthCheck[];
  metrics: Metrics;
  isShuttingDown: () => boolean;
  checkTimeoutMs?: number;
}

/** /health (deep), /health/live (cheap liveness) and /metrics (Prometheus). */
export function opsRoutes(deps: OpsRouteDeps) {
  const app = new Hono<OriginEnv>();
  app.get('/health/live', (c) => {
    c.header('cache-control', 'no-store');
    return c.json({ status: 'ok' });
  });
  app.get('/health', async (c) => {
    const report = await runHealthChecks(deps.checks, deps.checkTimeoutMs ?? 2000, deps.isShuttingDown());
    c.header('cache-control', 'no-store');
    return c.json(report, report.status === 'fail' ? 503 : 200);
  });
  app.get('/metrics', async (c) => {
    c.header('content-type', deps.metrics.registry.contentType);
    return c.body(await deps.metrics.registry.metrics());
  });
  return app;
}
