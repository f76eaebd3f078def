import { exports } from 'cloudflare:workers';
import { describe, expect, inject, it } from 'vitest';
import { call, jsonLogs, makeEnv, signed } from './helpers.js';

interface OriginCheck {
  name: string;
  status: string;
  latency_ms: number;
  error?: string;
  circuit: string;
  retry_after_s?: number;
}

interface HealthBody {
  status: string;
  environment: string;
  checks: { edge: { status: string }; origins: OriginCheck[] };
}

describe('edge /health', () => {
  it('is 200 with per-check status while the real origin is up', async () => {
    const res = await exports.default.fetch('http://edge.test/health');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as HealthBody;
    expect(body).toMatchObject({
      status: 'ok',
      environment: 'test',
      checks: { edge: { status: 'ok' }, origins: [{ name: 'origin-1', status: 'ok', circuit: 'closed' }] },
    });
    expect(body.checks.origins).toHaveLength(1);
    expect(body.checks.origins[0]!.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('is 503 naming the failed check when the origin is down (closed port)', async () => {
    const res = await call('/health', { env: makeEnv({ ORIGIN_URL: 'http://127.0.0.1:9' }) });
    expect(res.status).toBe(503);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as HealthBody;
    expect(body.status).toBe('fail');
    expect(body.checks.edge).toEqual({ status: 'ok' });
    expect(body.checks.origins).toEqual([
      expect.objectContaining({ name: 'origin-1', status: 'fail', error: 'unreachable', circuit: 'closed' }),
    ]);
  });

  it('is 503 when the origin does not answer within HEALTH_TIMEOUT_MS', async () => {
    const env = makeEnv({ ORIGIN_URL: `${inject('stubUrl')}/hang`, HEALTH_TIMEOUT_MS: '150' });
    const res = await call('/health', { env });
    expect(res.status).toBe(503);
    const body = (await res.json()) as HealthBody;
    expect(body.checks.origins[0]).toMatchObject({ status: 'fail', error: 'no answer within 150 ms' });
  });

  it('reports each origin (by name, not URL) and its circuit: one of two down is degraded (200)', async () => {
    const env = makeEnv({
      ORIGIN_URL: `http://127.0.0.1:9,${inject('originUrl')}`,
      ORIGIN_BREAKER_FAILURES: '1',
      ORIGIN_BREAKER_COOLDOWN_MS: '30000',
    });
    const first = (await (await call('/health', { env })).json()) as HealthBody;
    expect(first.status).toBe('degraded');
    expect(first.checks.origins).toEqual([
      expect.objectContaining({ name: 'origin-1', status: 'fail', error: 'unreachable', circuit: 'closed' }),
      expect.objectContaining({ name: 'origin-2', status: 'ok', circuit: 'closed' }),
    ]);
    expect(JSON.stringify(first)).not.toContain('127.0.0.1');

    // A miss tries origin-1 first: the refused connection opens its circuit (threshold 1).
    const miss = await call(await signed(`/img/w=222,q=41/${inject('images').photo}`), { env });
    expect(miss.status).toBe(200);
    await miss.arrayBuffer();
    const res = await call('/health', { env });
    expect(res.status).toBe(200);
    const after = (await res.json()) as HealthBody;
    expect(after.status).toBe('degraded');
    expect(after.checks.origins[0]).toMatchObject({ name: 'origin-1', circuit: 'open', retry_after_s: 30 });
    expect(after.checks.origins[1]).toMatchObject({ circuit: 'closed' });
  });

  it('a bad binding makes every request a 500 whose log line names the variable', async () => {
    const env = makeEnv({ ORIGIN_AUTH_TOKEN: 'too-short' });
    for (const path of ['/health', `/img/${inject('images').photo}`]) {
      const res = await call(path, { env, headers: { 'cf-ray': 'badconfig-1' } });
      expect(res.status).toBe(500);
      expect(res.headers.get('x-request-id')).toBe('badconfig-1');
      const body = (await res.json()) as { code: string; detail: string };
      expect(body.code).toBe('internal_error');
      expect(body.detail).not.toContain('ORIGIN_AUTH_TOKEN'); // configuration stays out of responses
    }
    expect(jsonLogs()).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: expect.stringContaining('ORIGIN_AUTH_TOKEN must be at least 32 characters long'),
      }),
    );
  });
});
