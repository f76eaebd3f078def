import { Hono } from 'hono';
import type { EdgeEnv } from '../env.js';

/** The edge's own health plus a short probe of the origin's liveness endpoint. */
export function healthRoutes() {
  const app = new Hono<EdgeEnv>();
  app.get('/health', async (c) => {
    const config = c.get('config');
    const started = Date.now();
    let origin: { status: 'ok' | 'fail'; latency_ms: number; error?: string };
    try {
      const res = await fetch(`${config.originUrl}/health/live`, {
        signal: AbortSignal.timeout(config.healthTimeoutMs),
        headers: { 'x-request-id': c.get('requestId') },
      });
      await res.body?.cancel();
      origin = res.ok
        ? { status: 'ok', latency_ms: Date.now() - started }
        : { status: 'fail', latency_ms: Date.now() - started, error: `HTTP ${res.status}` };
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      origin = {
        status: 'fail',
        latency_ms: Date.now() - started,
        error: timedOut ? `no answer within ${config.healthTimeoutMs} ms` : 'unreachable',
      };
    }
    const ok = origin.status === 'ok';
    c.header('cache-control', 'no-store');
    return c.json(
      {
        status: ok ? 'ok' : 'fail',
        environment: config.environment,
        checks: { edge: { status: 'ok' }, origin },
      },
      ok ? 200 : 503,
    );
  });
  return app;
}
