/**
 * The origin proxy when the origin misbehaves: a refused connection (502), a slow answer (504
 * origin_timeout), and an overloaded origin's 503 + Retry-After passed through, never cached.
 * The "busy" origin runs with TRANSFORM_CONCURRENCY=1 and TRANSFORM_QUEUE=0.
 */
import { describe, expect, inject, it } from 'vitest';
import {
  ACCEPT,
  busyOriginIdle as busyIdle,
  call,
  makeEnv,
  metric,
  problem,
  signed,
  variantCalls,
} from './helpers.js';

const busyOrigin = () => inject('busyOriginUrl');
const busyImage = () => inject('busyImage');

describe('origin failures', () => {
  it('a refused connection is a 502 origin_unreachable, not cached', async () => {
    const env = makeEnv({ ORIGIN_URL: 'http://127.0.0.1:9' });
    const path = await signed(`/img/w=181/${inject('images').photo}`);
    for (let i = 0; i < 2; i++) {
      const res = await call(path, { env });
      expect(res.status).toBe(502);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-cache')).toBeNull();
      expect(await problem(res)).toMatchObject({ status: 502, code: 'origin_unreachable' });
    }
    // The same URL against the working origin is a MISS: nothing was stored for the 502s.
    const ok = await call(path);
    expect([ok.status, ok.headers.get('x-cache')]).toEqual([200, 'MISS']);
  });

  it("passes an overloaded origin's 503 + Retry-After through, and does not store it", async () => {
    await busyIdle();
    const env = makeEnv({ ORIGIN_URL: busyOrigin() });
    const id = busyImage();
    // Distinct slow misses at once: one takes the only transform slot, the queue (0) refuses the rest.
    const paths = await Promise.all([801, 802, 803, 804].map((w) => signed(`/img/w=${w},f=avif/${id}`)));
    const rejectedBefore = await metric(busyOrigin(), 'imgedge_transform_rejected_total');
    const responses = await Promise.all(paths.map((p) => call(p, { env })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length, String(statuses)).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s === 503).length, String(statuses)).toBeGreaterThanOrEqual(1);
    expect(
      statuses.every((s) => s === 200 || s === 503),
      String(statuses),
    ).toBe(true);
    expect(await metric(busyOrigin(), 'imgedge_transform_rejected_total')).toBe(
      rejectedBefore + statuses.filter((s) => s === 503).length,
    );

    const overloaded = responses.findIndex((r) => r.status === 503);
    const res = responses[overloaded]!;
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-cache')).toBe('MISS');
    expect(await problem(res)).toMatchObject({ status: 503, code: 'overloaded' });
    for (const r of responses) if (!r.bodyUsed) await r.body?.cancel();

    // Not stored: once the origin is idle, the same URL is a MISS that reaches it and succeeds.
    await busyIdle();
    const before = await variantCalls(busyOrigin());
    const retry = await call(paths[overloaded]!, { env });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('x-cache')).toBe('MISS');
    await retry.arrayBuffer();
    expect(await variantCalls(busyOrigin())).toBe(before + 1);
  });

  it('a slow origin is a 504 origin_timeout after ORIGIN_TIMEOUT_MS, not cached', async () => {
    await busyIdle();
    const env = makeEnv({ ORIGIN_URL: busyOrigin(), ORIGIN_TIMEOUT_MS: '40' });
    // An uncached AVIF of a 1024×768 photo takes far longer than 40 ms.
    const path = await signed(`/img/w=1000,f=avif,q=61/${busyImage()}`);
    const res = await call(path, { env, headers: { accept: ACCEPT.chrome } });
    expect(res.status).toBe(504);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await problem(res)).toMatchObject({
      status: 504,
      code: 'origin_timeout',
      deadline: 'variant',
      timeout_ms: 40,
      detail: 'The origin did not answer within 40 ms (ORIGIN_TIMEOUT_MS, the variant deadline)',
    });

    // Nothing stored: with a patient edge the same URL is a MISS served by the origin.
    await busyIdle();
    const patient = makeEnv({ ORIGIN_URL: busyOrigin() });
    const later = await call(path, { env: patient });
    expect([later.status, later.headers.get('x-cache')]).toEqual([200, 'MISS']);
    await later.arrayBuffer();
  });
});
