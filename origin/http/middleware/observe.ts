import { createMiddleware } from 'hono/factory';
import { routePath } from 'hono/route';
import type { Metrics } from '../../observability/metrics.js';
import type { OriginEnv } from '../env.js';

export interface ObserveOptions {
  metrics: Metrics;
  /** Paths not worth a log line (probes, scrapes); they are still counted. */
  quietPaths?: readonly string[];
}

/** Counts and times every request by route template and status, and logs one line per request. */
export function observe(options: ObserveOptions) {
  const quiet = new Set(options.quietPaths ?? []);
  return createMiddleware<OriginEnv>(async (c, next) => {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = c.finalized || c.res ? routeLabel(c) : 'unmatched';
    const labels = { method: c.req.method, route, status: String(c.res.status) };
    options.metrics.httpRequests.inc(labels);
    options.metrics.httpDuration.observe(labels, seconds);
    if (!quiet.has(c.req.path)) {
      c.var.log.info(
        {
          method: c.req.method,
          route,
          path: c.req.path,
          status: c.res.status,
          ms: Math.round(seconds * 1000),
        },
        'request',
      );
    }
  });
}

function routeLabel(c: Parameters<typeof routePath>[0]): string {
  const path = routePath(c);
  // A 404 matched only by middleware ('*') must not blow up label cardinality.
  return path === '/*' || path === '*' ? 'unmatched' : path;
}
