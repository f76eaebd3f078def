/**
 * Several origins, circuit breakers and deadlines (edge/origin/pool.ts, breaker.ts,
 * fetch-origin.ts) in workerd against real origin processes. The two "origins" `a` and `b` are TCP
 * proxies in front of the one real origin (test/support/edge-servers.ts): they serve the same
 * images, and the tests cut them (`refuse`: the port is closed; `hang`: connections are accepted
 * and never answered) and restore them. The busy origin (TRANSFORM_CONCURRENCY=1, TRANSFORM_QUEUE=0)
 * is the really slow one. Thresholds and cool-downs are tiny, set per test with makeEnv: every
 * env object is a fresh isolate, i.e. fresh circuits.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  busyOriginIdle,
  call,
  jsonLogs,
  makeEnv,
  metric,
  problem,
  signed,
  sleep,
  variantCalls,
} from './helpers.js';

const API = '/api/v1';
const failover = () => inject('failover');
type ProxyName = 'a' | 'b';

async function control(path: string, method = 'POST'): Promise<Record<string, number>> {
  const res = await fetch(`${failover().controlUrl}/proxies/${path}`, { method });
  if (res.status !== 200) throw new Error(`proxy control ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, number>;
}
const cut = (name: ProxyName, mode: 'refuse' | 'hang') => control(`${name}/cut?mode=${mode}`);
const accepted = async (name: ProxyName) => (await control(name, 'GET')).accepted!;

afterEach(async () => {
  for (const name of failover().names) await control(`${name}/restore`);
});

/** Both proxies as ORIGIN_URL (a first), plus overrides. */
const twoOrigins = (overrides: Record<string, string> = {}) =>
  makeEnv({ ORIGIN_URL: failover().origins.join(','), ...overrides });

/** A signed variant URL of the photo that no other test asks for: always a cache miss at first. */
let width = 230;
const freshMiss = () => signed(`/img/w=${width++},q=37/${inject('images').photo}`);

/** Log lines with this `msg`. */
const logged = (msg: string) => jsonLogs().filter((l) => l.msg === msg);

/** A JPEG no one has uploaded: the run's fixture with a comment segment (COM) naming `tag`. */
function uniqueJpeg(tag: string): Uint8Array {
  const jpeg = Uint8Array.from(atob(inject('uploadJpeg')), (c) => c.charCodeAt(0));
  const text = new TextEncoder().encode(`${tag} ${crypto.randomUUID()}`);
  const com = new Uint8Array([0xff, 0xfe, (text.length + 2) >> 8, (text.length + 2) & 0xff, ...text]);
  return new Uint8Array([...jpeg.subarray(0, 2), ...com, ...jpeg.subarray(2)]);
}

const upload = (env: ReturnType<typeof makeEnv>, body: Uint8Array, id: string) =>
  call(`${API}/images`, {
    env,
    method: 'POST',
    headers: { authorization: `Bearer ${inject('apiToken')}`, 'content-type': 'image/jpeg', 'cf-ray': id },
    body,
  });

const originUploads = () => metric(inject('originUrl'), 'imgedge_uploads_total');

describe('one of two origins down', () => {
  it('GET misses are still 200 through the other, each retried at most once; the dead one’s circuit opens', async () => {
    await cut('a', 'refuse');
    const env = twoOrigins({ ORIGIN_BREAKER_FAILURES: '3', ORIGIN_BREAKER_COOLDOWN_MS: '60000' });
    const before = await variantCalls();
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      ids.push(`failover-get-${i}`);
      const res = await call(await freshMiss(), { env, headers: { 'cf-ray': ids[i]! } });
      expect([res.status, res.headers.get('x-cache')]).toEqual([200, 'MISS']);
      await res.arrayBuffer();
    }
    // Every miss reached the live origin exactly once: no request was sent twice to it.
    expect(await variantCalls()).toBe(before + 6);
    // Round-robin starts at a: the first three misses failed there and were retried once on b;
    // the third failure opened a's circuit, so the other three went straight to b.
    const failed = logged('origin attempt failed');
    expect(failed.map((l) => [l.id, l.origin])).toEqual(ids.slice(0, 3).map((id) => [id, 'origin-1']));
    expect(failed[0]).toMatchObject({ code: 'origin_unreachable', url: failover().origins[0] });
    expect(logged('retrying on another origin').map((l) => [l.id, l.from, l.to])).toEqual(
      ids.slice(0, 3).map((id) => [id, 'origin-1', 'origin-2']),
    );
    expect(logged('origin circuit open')).toEqual([
      expect.objectContaining({
        level: 'error',
        id: ids[2],
        origin: 'origin-1',
        from: 'closed',
        reason: '3 consecutive failures',
      }),
    ]);
  });

  it('an upload sent to the dead origin fails fast (502) and is not retried; the next one avoids it', async () => {
    await cut('a', 'refuse');
    const env = twoOrigins({ ORIGIN_BREAKER_FAILURES: '1', ORIGIN_BREAKER_COOLDOWN_MS: '60000' });
    const uploadsBefore = await originUploads();
    const started = Date.now();
    // A fresh isolate's first request goes to the first origin: a.
    const res = await upload(env, uniqueJpeg('dead'), 'failover-upload-1');
    const elapsed = Date.now() - started;
    expect(res.status).toBe(502);
    expect(await problem(res)).toMatchObject({ code: 'origin_unreachable' });
    expect(elapsed).toBeLessThan(2_000); // a refused connection, not UPLOAD_TIMEOUT_MS (120 s)
    expect(logged('retrying on another origin')).toEqual([]);
    expect(await originUploads()).toBe(uploadsBefore); // b (the live origin) saw no upload

    // a's circuit is open now (threshold 1): the next upload is sent to b, once.
    const ok = await upload(env, uniqueJpeg('live'), 'failover-upload-2');
    expect(ok.status).toBe(201);
    expect(await originUploads()).toBe(uploadsBefore + 1);
  });
});

describe('both origins down', () => {
  it('after the threshold misses are 503 + Retry-After at once, hits still served; one probe per origin after the cool-down; a returning origin closes its circuit', async () => {
    const env = twoOrigins({
      ORIGIN_TIMEOUT_MS: '300',
      ORIGIN_BREAKER_FAILURES: '2',
      ORIGIN_BREAKER_COOLDOWN_MS: '1500',
      // No connect probe: each attempt is exactly one connection to a proxy (counted below).
      ORIGIN_CONNECT_TIMEOUT_MS: '0',
    });
    const hitPath = await freshMiss();
    const warm = await call(hitPath, { env });
    expect([warm.status, warm.headers.get('x-cache')]).toEqual([200, 'MISS']);
    await warm.arrayBuffer();

    await cut('a', 'hang');
    await cut('b', 'hang');
    // Round-robin a, b, a, b: each times out after ORIGIN_TIMEOUT_MS (not retried); two each open both.
    for (let i = 0; i < 4; i++) {
      const res = await call(await freshMiss(), { env });
      expect(res.status).toBe(504);
      expect(await problem(res)).toMatchObject({ code: 'origin_timeout', deadline: 'variant' });
    }
    expect(
      logged('origin circuit open')
        .map((l) => l.origin)
        .sort(),
    ).toEqual(['origin-1', 'origin-2']);

    const before = { a: await accepted('a'), b: await accepted('b') };
    const started = Date.now();
    const fast = await call(await freshMiss(), { env });
    const elapsed = Date.now() - started;
    expect(fast.status).toBe(503);
    expect(elapsed).toBeLessThan(50);
    expect(fast.headers.get('retry-after')).toMatch(/^[12]$/); // a's remaining cool-down, rounded up
    expect(fast.headers.get('cache-control')).toBe('no-store');
    expect(await problem(fast)).toMatchObject({ code: 'unavailable', circuit: 'open' });
    // A cache hit is served as ever.
    const hit = await call(hitPath, { env });
    expect([hit.status, hit.headers.get('x-cache')]).toEqual([200, 'HIT']);
    await hit.arrayBuffer();
    expect({ a: await accepted('a'), b: await accepted('b') }).toEqual(before);

    // After the cool-down: three misses at once; each origin lets exactly one probe through.
    await sleep(1_600);
    const statuses = (await Promise.all([1, 2, 3].map(async () => call(await freshMiss(), { env })))).map(
      (r) => r.status,
    );
    expect(statuses.sort()).toEqual([503, 504, 504]);
    expect({ a: await accepted('a'), b: await accepted('b') }).toEqual({ a: before.a + 1, b: before.b + 1 });
    expect(
      logged('origin circuit half-open')
        .map((l) => l.origin)
        .sort(),
    ).toEqual(['origin-1', 'origin-2']);
    expect(logged('origin circuit open').slice(2)).toEqual([
      expect.objectContaining({ reason: 'probe failed' }),
      expect.objectContaining({ reason: 'probe failed' }),
    ]);

    // a comes back: once its cool-down is over, its probe closes the circuit and misses succeed.
    await control('a/restore');
    await sleep(1_600);
    const callsBefore = await variantCalls();
    let tries = 0;
    let res: Response;
    do {
      tries++;
      res = await call(await freshMiss(), { env }); // b's probe (if b's turn) times out: 504
      await res.arrayBuffer();
    } while (res.status === 504 && tries < 2);
    expect(res.status).toBe(200);
    expect(logged('origin circuit closed')).toEqual([
      expect.objectContaining({
        level: 'info',
        origin: 'origin-1',
        from: 'half-open',
        reason: 'probe succeeded',
      }),
    ]);
    for (let i = 0; i < 3; i++) {
      const next = await call(await freshMiss(), { env });
      expect([next.status, next.headers.get('x-cache')]).toEqual([200, 'MISS']);
      await next.arrayBuffer();
    }
    expect(await variantCalls()).toBe(callsBefore + 4);
  });
});

describe('deadlines', () => {
  it('a slow origin is a 504 naming the variant deadline, and its circuit opens after the threshold', async () => {
    const busy = inject('busyOriginUrl');
    const env = makeEnv({
      ORIGIN_URL: busy,
      ORIGIN_TIMEOUT_MS: '40',
      ORIGIN_BREAKER_FAILURES: '2',
      ORIGIN_BREAKER_COOLDOWN_MS: '60000',
    });
    // Uncached AVIFs of a 1024×768 photo take far longer than 40 ms; one at a time (its queue is 0).
    for (const w of [1001, 1002]) {
      await busyOriginIdle();
      const res = await call(await signed(`/img/w=${w},f=avif,q=62/${inject('busyImage')}`), {
        env,
        headers: { 'cf-ray': `slow-${w}` },
      });
      expect(res.status).toBe(504);
      expect(await problem(res)).toMatchObject({
        code: 'origin_timeout',
        deadline: 'variant',
        timeout_ms: 40,
        detail: 'The origin did not answer within 40 ms (ORIGIN_TIMEOUT_MS, the variant deadline)',
      });
    }
    expect(logged('origin circuit open')).toEqual([
      expect.objectContaining({ id: 'slow-1002', origin: 'origin-1', reason: '2 consecutive failures' }),
    ]);
    const calls = await variantCalls(busy);
    const started = Date.now();
    const res = await call(await signed(`/img/w=1003,f=avif,q=62/${inject('busyImage')}`), { env });
    expect(Date.now() - started).toBeLessThan(50);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('60');
    expect(await problem(res)).toMatchObject({
      code: 'unavailable',
      detail: "The origin's circuit is open after repeated failures; retry in 60 s",
    });
    expect(await variantCalls(busy)).toBe(calls);
    await busyOriginIdle();
  });

  it('an upload has its own deadline (504 upload), which does not count against the origin', async () => {
    await cut('a', 'hang');
    const env = makeEnv({
      ORIGIN_URL: failover().origins[0],
      UPLOAD_TIMEOUT_MS: '300',
      ORIGIN_TIMEOUT_MS: '20000',
      ORIGIN_BREAKER_FAILURES: '1',
      HEALTH_TIMEOUT_MS: '200',
    });
    const res = await upload(env, uniqueJpeg('slow'), 'upload-deadline');
    expect(res.status).toBe(504);
    expect(await problem(res)).toMatchObject({
      code: 'origin_timeout',
      deadline: 'upload',
      timeout_ms: 300,
      detail: 'The origin did not answer within 300 ms (UPLOAD_TIMEOUT_MS, the upload deadline)',
    });
    // A slow upload may be the client's pace: the circuit stayed closed.
    expect(logged('origin circuit open')).toEqual([]);
    const health = (await (await call('/health', { env })).json()) as {
      checks: { origins: { circuit: string }[] };
    };
    expect(health.checks.origins[0]!.circuit).toBe('closed');
  });

  it('connect deadline: an origin that never completes the TCP handshake is a 504 naming it, long before ORIGIN_TIMEOUT_MS', async () => {
    const env = makeEnv({
      ORIGIN_URL: failover().blackholeUrl,
      ORIGIN_CONNECT_TIMEOUT_MS: '200',
      ORIGIN_TIMEOUT_MS: '10000',
    });
    const started = Date.now();
    const res = await call(await freshMiss(), { env });
    const elapsed = Date.now() - started;
    expect(res.status).toBe(504);
    expect(await problem(res)).toMatchObject({
      code: 'origin_timeout',
      deadline: 'connect',
      timeout_ms: 200,
      detail: 'The origin did not accept a connection within 200 ms (ORIGIN_CONNECT_TIMEOUT_MS)',
    });
    expect(elapsed).toBeLessThan(5_000);
  });

  it('a missed connect deadline is a connection failure: a GET is retried on the other origin', async () => {
    const env = makeEnv({
      ORIGIN_URL: `${failover().blackholeUrl},${failover().origins[1]}`,
      ORIGIN_CONNECT_TIMEOUT_MS: '200',
      ORIGIN_TIMEOUT_MS: '10000',
    });
    const res = await call(await freshMiss(), { env, headers: { 'cf-ray': 'connect-retry' } });
    expect([res.status, res.headers.get('x-cache')]).toEqual([200, 'MISS']);
    expect(logged('origin attempt failed')).toEqual([
      expect.objectContaining({ id: 'connect-retry', origin: 'origin-1', deadline: 'connect' }),
    ]);
    expect(logged('retrying on another origin')).toHaveLength(1);
  });

  it('an accepted connection that never answers is not a connect failure: the variant deadline fires', async () => {
    await cut('a', 'hang');
    const env = makeEnv({
      ORIGIN_URL: failover().origins[0],
      ORIGIN_CONNECT_TIMEOUT_MS: '100',
      ORIGIN_TIMEOUT_MS: '500',
    });
    const res = await call(await freshMiss(), { env });
    expect(res.status).toBe(504);
    expect(await problem(res)).toMatchObject({ deadline: 'variant', timeout_ms: 500 });
  });
});

describe('what does not open a circuit', () => {
  it("an overloaded origin's 503 (its own backpressure) is passed on but not counted as a failure", async () => {
    await busyOriginIdle();
    const busy = inject('busyOriginUrl');
    const env = makeEnv({ ORIGIN_URL: busy, ORIGIN_BREAKER_FAILURES: '1' });
    const paths = await Promise.all(
      [1101, 1102, 1103, 1104].map((w) => signed(`/img/w=${w},f=avif/${inject('busyImage')}`)),
    );
    const responses = await Promise.all(paths.map((p) => call(p, { env })));
    const overloaded = responses.filter((r) => r.status === 503);
    expect(overloaded.length, String(responses.map((r) => r.status))).toBeGreaterThanOrEqual(1);
    expect(await problem(overloaded[0]!)).toMatchObject({ code: 'overloaded' });
    const refused = paths[responses.findIndex((r) => r.status === 503)]!;
    for (const r of responses) if (!r.bodyUsed) await r.body?.cancel();
    expect(logged('origin circuit open')).toEqual([]);
    // The next miss still goes to the origin.
    await busyOriginIdle();
    const calls = await variantCalls(busy);
    const next = await call(refused, { env });
    expect(next.status).toBe(200);
    await next.arrayBuffer();
    expect(await variantCalls(busy)).toBe(calls + 1);
  });
});
