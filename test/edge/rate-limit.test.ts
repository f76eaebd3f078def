/**
 * Rate limits at the edge: 429 with Retry-After and RateLimit-* headers for image cache misses
 * (per CF-Connecting-IP; hits are never limited) and for the API (per token subject); the failure
 * policy of a broken or stuck limiter (image GETs fail open, uploads fail closed, within
 * RATE_LIMIT_TIMEOUT_MS); and @upstash/ratelimit through the Upstash-REST bridge to the real Redis,
 * where two worker instances spend one shared budget.
 *
 * The worker keeps one set of limiters per env object, so each makeEnv() object below is one
 * worker instance (isolate) with its own in-memory limiters or its own Upstash client.
 */
import { SignJWT } from 'jose';
import { describe, expect, inject, it } from 'vitest';
import type { EdgeBindings } from '../../edge/config.js';
import {
  ACCEPT,
  call,
  freshIp,
  jsonLogs,
  makeEnv,
  originRequests,
  problem,
  signed,
  variantCalls,
} from './helpers.js';

const photo = () => inject('images').photo;
const upstash = () => ({
  UPSTASH_REDIS_REST_URL: inject('upstashUrl'),
  UPSTASH_REDIS_REST_TOKEN: inject('upstashToken'),
});

/** A cache miss for a fresh variant (`w`), as client `ip`. */
async function miss(env: EdgeBindings, ip: string, w: number): Promise<Response> {
  const path = await signed(`/img/w=${w}/${photo()}`);
  return call(path, { env, headers: { accept: ACCEPT.any, 'cf-connecting-ip': ip } });
}

function token(sub: string, scope = 'images:read images:write'): Promise<string> {
  return new SignJWT({ scope })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuer('imgedge')
    .setAudience('imgedge-api')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(inject('jwtSecret')));
}

const listImages = (env: EdgeBindings, bearer: string) =>
  call('/api/v1/images', { env, headers: { authorization: `Bearer ${bearer}` } });

function upload(env: EdgeBindings, bearer: string): Promise<Response> {
  const bytes = Uint8Array.from(atob(inject('uploadJpeg')), (c) => c.charCodeAt(0));
  return call('/api/v1/images', {
    env,
    method: 'POST',
    headers: {
      authorization: `Bearer ${bearer}`,
      'content-type': 'image/jpeg',
      'cf-connecting-ip': freshIp(),
    },
    body: bytes,
  });
}

async function expect429(res: Response, limit: number, windowSeconds = 60) {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
  expect(res.headers.get('ratelimit-limit')).toBe(String(limit));
  expect(res.headers.get('ratelimit-remaining')).toBe('0');
  const reset = Number(res.headers.get('ratelimit-reset'));
  expect(reset).toBeGreaterThanOrEqual(0);
  expect(reset).toBeLessThanOrEqual(windowSeconds);
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(await problem(res)).toMatchObject({ status: 429, code: 'rate_limited' });
}

describe('image rate limit (IMAGE_RATE_LIMIT, cache misses only, per CF-Connecting-IP)', () => {
  it('spends the budget on misses, never on hits, then answers 429 with headers', async () => {
    const env = makeEnv({ IMAGE_RATE_LIMIT: '2/60s' });
    const ip = freshIp();

    const first = await miss(env, ip, 201);
    expect([first.status, first.headers.get('x-cache')]).toEqual([200, 'MISS']);
    expect(first.headers.get('ratelimit-limit')).toBe('2');
    expect(first.headers.get('ratelimit-remaining')).toBe('1');
    expect(Number(first.headers.get('ratelimit-reset'))).toBeLessThanOrEqual(60);

    // Hits cost the origin nothing and are never limited (nor counted).
    for (let i = 0; i < 5; i++) {
      const hit = await miss(env, ip, 201);
      expect([hit.status, hit.headers.get('x-cache')]).toEqual([200, 'HIT']);
      expect(hit.headers.get('ratelimit-limit')).toBeNull();
    }

    const second = await miss(env, ip, 202);
    expect(second.status).toBe(200);
    expect(second.headers.get('ratelimit-remaining')).toBe('0');

    const before = await variantCalls();
    await expect429(await miss(env, ip, 203), 2);
    expect(await variantCalls()).toBe(before); // a refused miss never reaches the origin

    // X-Forwarded-For is client-controlled and never identifies the client.
    const spoofed = await call(await signed(`/img/w=204/${photo()}`), {
      env,
      headers: { 'cf-connecting-ip': ip, 'x-forwarded-for': freshIp() },
    });
    expect(spoofed.status).toBe(429);

    // Still served from the cache once the budget is spent; another client has its own budget.
    const hit = await miss(env, ip, 201);
    expect([hit.status, hit.headers.get('x-cache')]).toEqual([200, 'HIT']);
    expect((await miss(env, freshIp(), 203)).status).toBe(200);
  });
});

describe('API rate limit (API_RATE_LIMIT, per token subject)', () => {
  it('limits each subject on its own, with headers on every answer', async () => {
    const env = makeEnv({ API_RATE_LIMIT: '2/60s' });
    const alice = await token(`alice-${crypto.randomUUID()}`);
    const before = await originRequests();
    for (const remaining of ['1', '0']) {
      const res = await listImages(env, alice);
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).toBe('2');
      expect(res.headers.get('ratelimit-remaining')).toBe(remaining);
    }
    await expect429(await listImages(env, alice), 2);
    expect(await originRequests()).toBe(before + 2);

    // Same IP, another subject: its own budget.
    expect((await listImages(env, await token(`bob-${crypto.randomUUID()}`))).status).toBe(200);
  });
});

describe('limiter failure policy', () => {
  it('a limiter that cannot be reached: image GETs fail open, writes fail closed (503)', async () => {
    const env = makeEnv({
      UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9',
      UPSTASH_REDIS_REST_TOKEN: 'unused-token',
      IMAGE_RATE_LIMIT: '1/60s',
    });
    const ip = freshIp();
    for (const w of [211, 212]) {
      const res = await miss(env, ip, w);
      expect(res.status).toBe(200); // over the 1/60s budget too: nothing is counted
      expect(res.headers.get('ratelimit-limit')).toBeNull();
    }
    expect(jsonLogs()).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'rate limiter unavailable: failing open',
        limiter: 'image',
      }),
    );

    const requests = await originRequests();
    const res = await upload(env, inject('apiToken'));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await problem(res)).toMatchObject({ code: 'unavailable' });
    expect(await originRequests()).toBe(requests);
    expect(jsonLogs()).toContainEqual(
      expect.objectContaining({ msg: 'rate limiter unavailable: failing closed', limiter: 'api' }),
    );

    // API reads fail open; the token endpoint (brute-force guard) fails closed.
    expect((await listImages(env, inject('apiToken'))).status).toBe(200);
    const tokenRes = await call('/api/v1/oauth/token', {
      env,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': ip },
      body: 'grant_type=client_credentials&client_id=x&client_secret=y',
    });
    expect(tokenRes.status).toBe(503);
  });

  it('a limiter that never answers is given up after RATE_LIMIT_TIMEOUT_MS', async () => {
    const env = makeEnv({
      UPSTASH_REDIS_REST_URL: `${inject('stubUrl')}/hang`,
      UPSTASH_REDIS_REST_TOKEN: 'unused-token',
      RATE_LIMIT_TIMEOUT_MS: '300',
    });
    const image = await miss(env, freshIp(), 213);
    expect(image.status).toBe(200);
    const res = await upload(env, inject('apiToken'));
    expect(res.status).toBe(503);
    expect(jsonLogs()).toContainEqual(
      expect.objectContaining({
        msg: 'rate limiter unavailable: failing closed',
        reason: 'timed out after 300 ms',
      }),
    );
  });
});

describe('limiter log lines', () => {
  it('carry the id of the request that wrote them (in-memory fallback and limiter failure)', async () => {
    // A fresh env: its first request makes the limiters and warns that they are in-memory ones.
    const memory = makeEnv();
    const path = await signed(`/img/w=214/${photo()}`);
    await call(path, { env: memory, headers: { 'cf-connecting-ip': freshIp(), 'cf-ray': 'rl-log-0001' } });
    expect(jsonLogs()).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        id: 'rl-log-0001',
        msg: expect.stringContaining('using in-memory rate limits'),
      }),
    );

    const broken = makeEnv({
      UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9',
      UPSTASH_REDIS_REST_TOKEN: 'unused',
    });
    const miss215 = await signed(`/img/w=215/${photo()}`);
    await call(miss215, { env: broken, headers: { 'cf-connecting-ip': freshIp(), 'cf-ray': 'rl-log-0002' } });
    expect(jsonLogs()).toContainEqual(
      expect.objectContaining({ id: 'rl-log-0002', msg: 'rate limiter unavailable: failing open' }),
    );
  });
});

const noRedis = inject('upstashUrl') === '';
if (noRedis) console.warn('Upstash rate-limit cases skipped: no Redis; set TEST_REDIS_URL to run them');

// Upstash's sliding window weighs the previous window in: a test that crossed a 60 s boundary
// could be let through (seen once in CI). An hour's window makes that crossing all but impossible.
describe.skipIf(noRedis)('Upstash (@upstash/ratelimit through the REST bridge to the real Redis)', () => {
  it('two worker instances spend one shared image budget', async () => {
    const a = makeEnv({ ...upstash(), IMAGE_RATE_LIMIT: '3/1h' });
    const b = makeEnv({ ...upstash(), IMAGE_RATE_LIMIT: '3/1h' });
    const ip = freshIp();
    const statuses = [];
    for (const [env, w] of [
      [a, 221],
      [b, 222],
      [a, 223],
    ] as const) {
      const res = await miss(env, ip, w);
      statuses.push(res.status);
      expect(res.headers.get('ratelimit-limit')).toBe('3');
      await res.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200]);
    await expect429(await miss(b, ip, 224), 3, 3600);
    await expect429(await miss(a, ip, 225), 3, 3600);
    // Another client is unaffected.
    expect((await miss(b, freshIp(), 224)).status).toBe(200);
  });

  it('while in-memory limiters of two instances would each allow the full budget', async () => {
    const a = makeEnv({ IMAGE_RATE_LIMIT: '3/60s' });
    const b = makeEnv({ IMAGE_RATE_LIMIT: '3/60s' });
    const ip = freshIp();
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await miss(i % 2 === 0 ? a : b, ip, 231 + i)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    expect((await miss(a, ip, 240)).status).toBe(429);
  });

  it('two worker instances spend one shared API budget per subject', async () => {
    const a = makeEnv({ ...upstash(), API_RATE_LIMIT: '2/1h' });
    const b = makeEnv({ ...upstash(), API_RATE_LIMIT: '2/1h' });
    const carol = await token(`carol-${inject('runId')}-${crypto.randomUUID()}`);
    expect((await listImages(a, carol)).status).toBe(200);
    expect((await listImages(b, carol)).status).toBe(200);
    await expect429(await listImages(a, carol), 2, 3600);
    await expect429(await listImages(b, carol), 2, 3600);
  });
});
