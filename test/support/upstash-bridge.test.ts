/**
 * The Upstash REST bridge against a real redis-server, driven by the official `@upstash/redis`
 * client and `@upstash/ratelimit`, unchanged.
 *
 * Needs Redis at TEST_REDIS_URL (default redis://127.0.0.1:6379). Without TEST_REDIS_URL and with
 * no Redis answering, the suite is skipped; with IMGEDGE_REQUIRE_SERVICES=1 (or TEST_REDIS_URL
 * set) a missing Redis fails it instead.
 */
import { randomUUID } from 'node:crypto';
import { Ratelimit } from '@upstash/ratelimit';
import { Redis as UpstashRedis } from '@upstash/redis';
import { Redis as IORedis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_REQUIRED, redisAnswers, TEST_REDIS_URL } from './services.js';
import { startUpstashBridge, type UpstashBridge } from './upstash-bridge.js';

const TOKEN = `bridge-token-${randomUUID()}`;
/** Unique per run, so concurrent or earlier runs never collide. */
const PREFIX = `imgedge-test:upstash-bridge:${randomUUID()}`;

const available = await redisAnswers(TEST_REDIS_URL);
const skip = !available && !REDIS_REQUIRED;
if (skip) {
  console.warn(`[upstash-bridge.test] skipped: no Redis at ${TEST_REDIS_URL}; set TEST_REDIS_URL to run it`);
}

/** Sleep so that the next `windowMs` of work starts early in a fixed window (no boundary crossing). */
async function startOfWindow(windowMs: number, needMs = 3000): Promise<void> {
  const into = Date.now() % windowMs;
  if (into > windowMs - needMs) await new Promise((r) => setTimeout(r, windowMs - into + 20));
}

describe.skipIf(skip)('Upstash REST bridge over a real Redis', () => {
  let bridge: UpstashBridge;
  let admin: IORedis;
  const newClientWith = (token = TOKEN, options: { enableAutoPipelining?: boolean } = {}) => {
    return new UpstashRedis({ url: bridge.url, token, enableTelemetry: false, ...options });
  };
  const newClient = () => newClientWith();
  const key = (name: string) => `${PREFIX}:${name}`;

  beforeAll(async () => {
    if (!available)
      throw new Error(`Redis is required but does not answer at ${TEST_REDIS_URL} (TEST_REDIS_URL)`);
    admin = new IORedis(TEST_REDIS_URL);
    bridge = await startUpstashBridge({ redisUrl: TEST_REDIS_URL, token: TOKEN });
  });

  afterEach(async () => {
    const keys = await admin.keys(`${PREFIX}:*`);
    if (keys.length > 0) await admin.del(...keys);
  });

  afterAll(async () => {
    await bridge?.close();
    await admin?.quit();
  });

  // The client auto-pipelines by default (every command goes to /pipeline); without it, `POST /`.
  describe.each([
    ['default options', {}],
    ['enableAutoPipelining: false', { enableAutoPipelining: false }],
  ])('@upstash/redis client, %s', (_, options) => {
    const newClient = (token = TOKEN) => newClientWith(token, options);
    it('sets and gets strings, unicode and binary-ish values', async () => {
      const redis = newClient();
      const values = [
        'plain',
        'héllo wörld — ✓ 日本語 🚀',
        '\u0000\u0001\u0002 nul and control \u007f\u0080\u00ff',
        'OK',
        'PONG',
        'T0s=',
        '',
      ];
      for (const [i, value] of values.entries()) {
        expect(await redis.set(key(`s${i}`), value)).toBe('OK');
        expect(await redis.get(key(`s${i}`))).toBe(value);
      }
      expect(await redis.get(key('missing'))).toBeNull();
      // Redis holds the UTF-8 bytes, not base64.
      expect(await admin.get(key('s1'))).toBe(values[1]);
    });

    it('incr, hset/hgetall, exists, del, expire', async () => {
      const redis = newClient();
      expect(await redis.incr(key('n'))).toBe(1);
      expect(await redis.incrby(key('n'), 41)).toBe(42);
      expect(await redis.get(key('n'))).toBe(42);
      expect(await redis.hset(key('h'), { a: 'x', b: 'héllo', c: '7' })).toBe(3);
      expect(await redis.hgetall(key('h'))).toEqual({ a: 'x', b: 'héllo', c: 7 });
      expect(await redis.hget(key('h'), 'b')).toBe('héllo');
      expect(await redis.expire(key('h'), 60)).toBe(1);
      expect(await redis.ttl(key('h'))).toBeGreaterThan(0);
      expect(await redis.exists(key('h'), key('n'), key('nope'))).toBe(2);
      expect(await redis.del(key('h'), key('n'))).toBe(2);
      expect(await redis.ping()).toBe('PONG');
    });

    it('pipeline: results in order, per-command errors', async () => {
      const redis = newClient();
      const p = redis.pipeline();
      p.set(key('p'), 'v');
      p.incr(key('pc'));
      p.get(key('p'));
      p.hset(key('ph'), { f: 'ü' });
      p.hgetall(key('ph'));
      expect(await p.exec()).toEqual(['OK', 1, 'v', 1, { f: 'ü' }]);

      const bad = redis.pipeline();
      bad.set(key('p2'), 'not-a-number');
      bad.incr(key('p2'));
      bad.get(key('p2'));
      await expect(bad.exec()).rejects.toThrow(/Command 2 \[ incr \] failed: ERR value is not an integer/);
      const kept = await redis.pipeline().incr(key('p2')).get(key('p2')).exec({ keepErrors: true });
      expect(kept[0]?.error).toMatch(/not an integer/);
      expect(kept[1]).toEqual({ error: undefined, result: 'not-a-number' });
    });

    it('multi: runs inside MULTI/EXEC', async () => {
      const redis = newClient();
      const tx = redis.multi();
      tx.set(key('m'), '10');
      tx.incrby(key('m'), 5);
      tx.get(key('m'));
      expect(await tx.exec()).toEqual(['OK', 15, 15]);
      // Two concurrent transactions of INCR+GET each see their own increment.
      const runs = await Promise.all(
        [1, 2, 3, 4].map(() => redis.multi().incr(key('mc')).get<number>(key('mc')).exec()),
      );
      for (const [incr, get] of runs) expect(get).toBe(incr);
      expect(runs.map(([incr]) => incr).sort()).toEqual([1, 2, 3, 4]);
    });

    it('scripts: SCRIPT LOAD returns the original sha1, EVALSHA runs it, NOSCRIPT after a flush', async () => {
      const redis = newClient();
      const script = '#!lua flags=allow-key-locking\nreturn {ARGV[1], redis.call("INCR", KEYS[1])}';
      const sha = await redis.scriptLoad(script);
      const expected = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(script));
      expect(sha).toBe(Buffer.from(expected).toString('hex'));
      expect(await redis.scriptExists(sha)).toEqual([1]);
      expect(await redis.evalsha(sha, [key('sc')], ['héllo'])).toEqual(['héllo', 1]);
      expect(await redis.eval(script, [key('sc')], ['again'])).toEqual(['again', 2]);

      await admin.script('FLUSH');
      await expect(redis.evalsha(sha, [key('sc')], ['x'])).rejects.toThrow(/NOSCRIPT/);
      expect(await redis.eval(script, [key('sc')], ['x'])).toEqual(['x', 3]);
      expect(await redis.evalsha(sha, [key('sc')], ['y'])).toEqual(['y', 4]);
    });

    it('a wrong or missing token makes the client throw', async () => {
      await expect(newClient('wrong-token').get(key('x'))).rejects.toThrow(/Unauthorized/);
      const res = await fetch(bridge.url, { method: 'POST', body: JSON.stringify(['PING']) });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: expect.stringMatching(/Unauthorized/) });
    });
  });

  describe('raw protocol', () => {
    const call = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${bridge.url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      // biome-ignore lint/suspicious/noExplicitAny: a JSON reply, inspected by the assertions
      return { status: res.status, body: (await res.json()) as any };
    };
    const b64 = { 'Upstash-Encoding': 'base64' };

    it('binary values survive byte for byte with base64 encoding', async () => {
      const bytes = Buffer.from([0, 255, 128, 10, 13, 0xc3, 0x28, 0xfe, 1]);
      await admin.set(key('bin'), bytes);
      const { status, body } = await call('/', ['GET', key('bin')], b64);
      expect(status).toBe(200);
      expect(Buffer.from(body.result, 'base64').equals(bytes)).toBe(true);
    });

    it('base64 on: nested bulk strings encoded, integers and null plain, OK as is', async () => {
      await admin.hset(key('hb'), 'f', 'v');
      expect((await call('/', ['SET', key('a'), 'x'], b64)).body).toEqual({ result: 'OK' });
      expect((await call('/', ['HGETALL', key('hb')], b64)).body).toEqual({ result: ['Zg==', 'dg=='] });
      expect((await call('/', ['GET', key('none')], b64)).body).toEqual({ result: null });
      expect((await call('/', ['INCR', key('i')], b64)).body).toEqual({ result: 1 });
      const evalReply = await call('/', ['EVAL', 'return {1, "a", {2, "b"}}', '0'], b64);
      expect(evalReply.body).toEqual({ result: [1, 'YQ==', [2, 'Yg==']] });
    });

    it('base64 off: plain strings; errors are 400 {error}', async () => {
      await admin.hset(key('hp'), 'f', 'v');
      expect((await call('/', ['HGETALL', key('hp')])).body).toEqual({ result: ['f', 'v'] });
      await admin.set(key('sp'), 'héllo');
      expect((await call('/', ['get', key('sp')])).body).toEqual({ result: 'héllo' });
      const wrongType = await call('/', ['GET', key('hp')]);
      expect(wrongType.status).toBe(400);
      expect(wrongType.body.error).toMatch(/WRONGTYPE/);
      const bogus = await call('/', ['BOGUS']);
      expect(bogus.status).toBe(400);
      expect(bogus.body.error).toMatch(/unknown command/i);
      expect((await call('/', 'not-an-array')).status).toBe(400);
    });

    it('pipeline and multi-exec return {result}|{error} arrays', async () => {
      const pipe = await call('/pipeline', [
        ['SET', key('pp'), 'x'],
        ['INCR', key('pp')],
        ['GET', key('pp')],
      ]);
      expect(pipe.status).toBe(200);
      expect(pipe.body).toEqual([
        { result: 'OK' },
        { error: expect.stringMatching(/not an integer/) },
        { result: 'x' },
      ]);
      const tx = await call('/multi-exec', [
        ['SET', key('mm'), '1'],
        ['INCR', key('mm')],
      ]);
      expect(tx.body).toEqual([{ result: 'OK' }, { result: 2 }]);
    });

    it('path-style commands', async () => {
      expect((await call(`/set/${encodeURIComponent(key('path'))}/h%C3%A9`, undefined)).body).toEqual({
        result: 'OK',
      });
      expect((await call(`/get/${encodeURIComponent(key('path'))}`, undefined)).body).toEqual({
        result: 'hé',
      });
    });
  });

  describe('@upstash/ratelimit', () => {
    const WINDOW = 10_000;
    const limiter = (
      algorithm: ReturnType<typeof Ratelimit.slidingWindow>,
      prefix: string,
      redis: UpstashRedis = newClient(),
    ) =>
      new Ratelimit({
        redis,
        limiter: algorithm,
        prefix: key(prefix),
        ephemeralCache: false,
        analytics: false,
      });

    it.each([
      ['slidingWindow', () => Ratelimit.slidingWindow(5, '10 s')],
      ['fixedWindow', () => Ratelimit.fixedWindow(5, '10 s')],
    ])(
      '%s(5, "10 s"): the 6th request is refused with remaining 0 and the window end',
      async (name, make) => {
        await startOfWindow(WINDOW);
        const rl = limiter(make(), name);
        const windowEnd = (Math.floor(Date.now() / WINDOW) + 1) * WINDOW;
        const results = [];
        for (let i = 0; i < 6; i++) results.push(await rl.limit('client-1'));
        expect(results.map((r) => r.success)).toEqual([true, true, true, true, true, false]);
        expect(results.map((r) => r.remaining)).toEqual([4, 3, 2, 1, 0, 0]);
        for (const r of results) {
          expect(r.limit).toBe(5);
          expect(r.reset).toBe(windowEnd);
        }
        // Another identifier is independent.
        expect((await rl.limit('client-2')).success).toBe(true);
        expect(await rl.getRemaining('client-1')).toMatchObject({ remaining: 0, reset: windowEnd });
      },
    );

    it('tokenBucket(5, "10 s", 5): the 6th request is refused until the next refill', async () => {
      const rl = limiter(Ratelimit.tokenBucket(5, '10 s', 5), 'bucket');
      const before = Date.now();
      const results = [];
      for (let i = 0; i < 6; i++) results.push(await rl.limit('client-1'));
      const after = Date.now();
      expect(results.map((r) => r.success)).toEqual([true, true, true, true, true, false]);
      expect(results.map((r) => r.remaining)).toEqual([4, 3, 2, 1, 0, 0]);
      const reset = results[5]!.reset;
      expect(reset).toBeGreaterThanOrEqual(before + WINDOW);
      expect(reset).toBeLessThanOrEqual(after + WINDOW);
      for (const r of results) expect(r.reset).toBe(reset);
    });

    it('two instances (two clients) sharing one Redis share the limit', async () => {
      await startOfWindow(WINDOW);
      const a = limiter(Ratelimit.slidingWindow(5, '10 s'), 'shared', newClient());
      const b = limiter(Ratelimit.slidingWindow(5, '10 s'), 'shared', newClient());
      const order = [a, b, a, b, a, b, a];
      const seq = [];
      for (const rl of order) seq.push(await rl.limit('ip-1'));
      expect(seq.map((r) => r.success)).toEqual([true, true, true, true, true, false, false]);
      expect(seq.map((r) => r.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0]);

      // Concurrent requests from both instances: exactly the limit gets through.
      const burst = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? a : b).limit('ip-2')),
      );
      expect(burst.filter((r) => r.success)).toHaveLength(5);
      const bucketA = limiter(Ratelimit.tokenBucket(3, '10 s', 3), 'shared-bucket', newClient());
      const bucketB = limiter(Ratelimit.tokenBucket(3, '10 s', 3), 'shared-bucket', newClient());
      const buckets = await Promise.all([bucketA, bucketB, bucketA, bucketB].map((rl) => rl.limit('ip-3')));
      expect(buckets.filter((r) => r.success)).toHaveLength(3);
    });

    it('EVALSHA → NOSCRIPT → EVAL fallback after the script cache is flushed', async () => {
      await startOfWindow(WINDOW);
      const rl = limiter(Ratelimit.fixedWindow(5, '10 s'), 'flush');
      const evalCalls = async () => {
        const stats = await admin.info('commandstats');
        const calls = (name: string) =>
          Number(stats.match(new RegExp(`cmdstat_${name}:calls=(\\d+)`))?.[1] ?? 0);
        const failed = Number(stats.match(/cmdstat_evalsha:calls=\d+,[^\r\n]*failed_calls=(\d+)/)?.[1] ?? 0);
        return { eval: calls('eval'), evalsha: calls('evalsha'), evalshaFailed: failed };
      };

      expect((await rl.limit('u')).remaining).toBe(4);
      await admin.script('FLUSH');
      const s0 = await evalCalls();
      expect((await rl.limit('u')).remaining).toBe(3);
      const s1 = await evalCalls();
      expect(s1.evalshaFailed - s0.evalshaFailed).toBeGreaterThanOrEqual(1); // NOSCRIPT
      expect(s1.eval - s0.eval).toBeGreaterThanOrEqual(1); // the fallback
      expect((await rl.limit('u')).remaining).toBe(2);
      const s2 = await evalCalls();
      expect(s2.evalsha - s1.evalsha).toBeGreaterThanOrEqual(1);
      expect(s2.evalshaFailed).toBe(s1.evalshaFailed); // the original sha now maps to a loaded script

      await admin.script('FLUSH');
      const rest = [];
      for (let i = 0; i < 3; i++) rest.push(await rl.limit('u'));
      expect(rest.map((r) => [r.success, r.remaining])).toEqual([
        [true, 1],
        [true, 0],
        [false, 0],
      ]);
    });
  });
});
