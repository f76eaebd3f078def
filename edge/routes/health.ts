import { Hono } from 'hono';
import type { EdgeConfig } from '../config.js';
import type { EdgeEnv } from '../env.js';
import { originPool, type PoolOrigin } from '../origin/pool.js';

interface OriginCheck {
  /** `origin-1`… in ORIGIN_URL's order (the URLs stay private). */
  name: string;
  /** The origin's `/health/live`, probed now. */
  status: 'ok' | 'fail';
  latency_ms: number;
  error?: string;
  /** This isolate's circuit for the origin (an open one past its cool-down reads half-open). */
  circuit: 'closed' | 'open' | 'half-open';
  /** Open circuits: seconds until the next probe request may go. */
  retry_after_s?: number;
}

/**
 * The edge's own health plus, for each origin, a short probe of its liveness endpoint and this
 * isolate's circuit state. `ok` (200) when every origin is live with a closed circuit, `degraded`
 * (200) while at least one is live, `fail` (503) when none is. The probes do not feed the circuits:
 * those follow real traffic only.
 */
export function healthRoutes() {
  const app = new Hono<EdgeEnv>();
  app.get('/health', async (c) => {
    const config = c.get('config');
    const origins = await Promise.all(
      originPool(config).origins.map((o) => checkOrigin(o, config, c.get('requestId'))),
    );
    const live = origins.filter((o) => o.status === 'ok');
    const status =
      live.length === 0
        ? 'fail'
        : live.length === origins.length && origins.every((o) => o.circuit === 'closed')
          ? 'ok'
          : 'degraded';
    c.header('cache-control', 'no-store');
    return c.json(
      {
        status,
        environment: config.environment,
        checks: { edge: { status: 'ok' }, origins },
      },
      status === 'fail' ? 503 : 200,
    );
  });
  return app;
}

async function checkOrigin(origin: PoolOrigin, config: EdgeConfig, requestId: string): Promise<OriginCheck> {
  const circuit = origin.breaker.snapshot();
  const base = {
    name: origin.name,
    circuit: circuit.state,
    ...(circuit.state === 'open' ? { retry_after_s: Math.ceil(circuit.retryAfterMs / 1000) } : {}),
  };
  const started = Date.now();
  try {
    const res = await fetch(`${origin.url}/health/live`, {
      signal: AbortSignal.timeout(config.healthTimeoutMs),
      headers: { 'x-request-id': requestId },
    });
    await res.body?.cancel();
    const latency_ms = Date.now() - started;
    return res.ok
      ? { ...base, status: 'ok', latency_ms }
      : { ...base, status: 'fail', latency_ms, error: `HTTP ${res.status}` };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return {
      ...base,
      status: 'fail',
      latency_ms: Date.now() - started,
      error: timedOut ? `no answer within ${config.healthTimeoutMs} ms` : 'unreachable',
    };
  }
}
