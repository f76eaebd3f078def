import { createMiddleware } from 'hono/factory';
import { routePath } from 'hono/route';
import type { Metrics } from '../../observability/metrics.js';
import type { OriginEnv } from '../env.js';

export interface ObserveOptions {
  metrics: Metrics;
  /** Probes and scrapes: logged at debug level while they succeed; always counted. */
  quietPaths?: readonly string[];
}

/** Counts and times every request by route template and status, and logs one line per request. */
export function observe(options: ObserveOptions) {
  const quiet = new Set(options.quietPaths ?? []);
  return createMiddleware<OriginEnv>(async (c, next) => {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = routeLabel(c);
    const labels = { method: c.req.method, route, status: String(c.res.status) };
    options.metrics.httpRequests.inc(labels);
    options.metrics.httpDuration.observe(labels, seconds);
    // Probes and scrapes log at debug level while they succeed; a failing one is worth a line.
    const level = quiet.has(c.req.path) && c.res.status < 400 ? 'debug' : 'info';
    c.var.log[level](
      { method: c.req.method, route, path: c.req.path, status: c.res.status, ms: Math.round(seconds * 1000) },
      'request',
    );
  });
}

function routeLabel(c: Parameters<typeof routePath>[0]): string {
  const path = routePath(c);
  // A 404 matched only by middleware ('*') must not blow up label cardinality.
  return path === '/*' || path === '*' ? 'unmatched' : path;
}
