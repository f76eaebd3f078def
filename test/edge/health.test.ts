import { exports } from 'cloudflare:workers';
import { describe, expect, inject, it } from 'vitest';
import { call, jsonLogs, makeEnv } from './helpers.js';

interface HealthBody {
  status: string;
  environment: string;
  checks: {
    edge: { status: string };
    origin: { status: string; latency_ms: number; error?: string };
  };
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
      checks: { edge: { status: 'ok' }, origin: { status: 'ok' } },
    });
    expect(body.checks.origin.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('is 503 naming the failed check when the origin is down (closed port)', async () => {
    const res = await call('/health', { env: makeEnv({ ORIGIN_URL: 'http://127.0.0.1:9' }) });
    expect(res.status).toBe(503);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as HealthBody;
    expect(body.status).toBe('fail');
    expect(body.checks.edge).toEqual({ status: 'ok' });
    expect(body.checks.origin).toMatchObject({ status: 'fail', error: 'unreachable' });
  });

  it('is 503 when the origin does not answer within HEALTH_TIMEOUT_MS', async () => {
    const env = makeEnv({ ORIGIN_URL: `${inject('stubUrl')}/hang`, HEALTH_TIMEOUT_MS: '150' });
    const res = await call('/health', { env });
    expect(res.status).toBe(503);
    const body = (await res.json()) as HealthBody;
    expect(body.checks.origin).toMatchObject({ status: 'fail', error: 'no answer within 150 ms' });
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
