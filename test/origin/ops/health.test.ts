/**
 * GET /health (deep) and GET /health/live (cheap) over real HTTP: every check reported with status
 * and latency; Redis checked when configured (ok against a real redis-server, failing against a
 * closed port); and /health turning 503 when Postgres becomes unreachable — through a TCP proxy
 * that is cut (port closed) or black-holed (accepts, never answers) — and back to 200 when it
 * returns, while /health/live stays 200 and /health itself never hangs.
 *
 * Redis: TEST_REDIS_URL (default redis://127.0.0.1:6379); skipped when none answers, failed instead
 * with IMGEDGE_REQUIRE_SERVICES=1 or TEST_REDIS_URL set. The Postgres-outage case needs the real
 * server (TEST_DATABASE_URL, even on an IMGEDGE_TEST_DB=pglite run); without it the case is
 * skipped, or failed with IMGEDGE_REQUIRE_SERVICES=1.
 */
import { readdir } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../../origin/auth/clients.js';
import { loadConfig } from '../../../origin/config/load.js';
import { createLogger } from '../../../origin/observability/logger.js';
import { runHealthChecks } from '../../../origin/ops/health.js';
import { type RunningServer, startServer } from '../../../origin/server.js';
import { testDbKind } from '../../support/db.js';
import { photoJpeg } from '../../support/images.js';
import { scrapeMetric } from '../../support/metrics.js';
import {
  startTestOrigin,
  TEST_ORIGIN_TOKEN,
  TEST_SECRET_KEY,
  type TestOrigin,
} from '../../support/origin.js';
import { startThrowawayRedis, until } from '../../support/redis-server.js';
import { REDIS_REQUIRED, REQUIRE_SERVICES, redisAnswers, TEST_REDIS_URL } from '../../support/services.js';
import { adminUrl, createPostgresDatabase, fetchToken, tempDirs } from '../../support/spawn-origin.js';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';

interface Check {
  status: 'ok' | 'degraded' | 'fail';
  latency_ms: number;
  error?: string;
}
interface Health {
  status: 'ok' | 'degraded' | 'fail';
  checks: Record<string, Check>;
}

/** GET /health, bounded: a /health that hangs fails the test instead of hanging it. */
async function health(url: string): Promise<{ status: number; body: Health; headers: Headers }> {
  const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(15_000) });
  return { status: res.status, body: (await res.json()) as Health, headers: res.headers };
}

function expectOkCheck(check: Check | undefined): void {
  expect(check).toBeDefined();
  expect(check!.status).toBe('ok');
  expect(Number.isInteger(check!.latency_ms)).toBe(true);
  expect(check!.latency_ms).toBeGreaterThanOrEqual(0);
  expect(check!.error).toBeUndefined();
}

/** A short, single-line, stack-free error message. */
function expectShortError(error: string | undefined): void {
  expect(typeof error).toBe('string');
  expect(error!.length).toBeGreaterThan(0);
  expect(error!.length).toBeLessThan(200);
  expect(error).not.toMatch(/\n|\s+at\s+\S+\s+\(|node_modules|\.ts:\d+/);
}

/** A loopback port that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe(`/health and /health/live [${testDbKind}]`, () => {
  let origin: TestOrigin;
  beforeAll(async () => {
    origin = await startTestOrigin();
  });
  afterAll(() => origin?.close());

  it("/metrics has each check's last status: a first scrape runs the checks, later scrapes reuse a recent /health", async () => {
    const status = (check: string, state: string) =>
      origin.metric('imgedge_health_check_status', { check, status: state });
    const probes = () =>
      origin.metric('imgedge_storage_operation_duration_seconds_count', { operation: 'probe' });
    // Nothing probed /health yet: the scrape ran the checks itself.
    for (const check of ['database', 'storage', 'app']) {
      expect(await status(check, 'ok'), check).toBe(1);
      expect(await status(check, 'fail'), check).toBe(0);
      expect(await status(check, 'degraded'), check).toBe(0);
    }
    expect(
      await origin.metric('imgedge_health_check_duration_seconds', { check: 'storage' }),
    ).toBeGreaterThan(0);
    // Within 15 s of a /health run, scrapes reuse its result: no storage probe of their own.
    expect((await health(origin.url)).status).toBe(200);
    const after = await probes();
    expect(await probes()).toBe(after);
    expect(await probes()).toBe(after);
    expect((await health(origin.url)).status).toBe(200);
    expect(await probes()).toBe(after + 1);
  });

  it('GET /health is 200 with database, storage and app checks, each ok with a latency', async () => {
    const { status, body, headers } = await health(origin.url);
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^application\/json/);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(body.status).toBe('ok');
    expect(Object.keys(body.checks).sort()).toEqual(['app', 'database', 'storage']);
    for (const name of ['database', 'storage', 'app']) expectOkCheck(body.checks[name]);
  });

  it('the storage probe leaves nothing behind in UPLOAD_DIR (nor, on S3, in the bucket)', async () => {
    for (let i = 0; i < 3; i++) expect((await health(origin.url)).status).toBe(200);
    expect(await readdir(`${origin.dirs.upload}/.tmp`)).toEqual([]);
    if (origin.s3) {
      const listed = await origin.s3
        .client()
        .send(new ListObjectsV2Command({ Bucket: origin.s3.bucket, Prefix: 'health/' }));
      expect(listed.Contents ?? []).toEqual([]);
      expect(
        origin.s3.requests.filter((r) => r.url.includes('/health/probe-')).length,
      ).toBeGreaterThanOrEqual(9);
    }
  });

  it('GET /health/live is 200 {status: ok}, not cached, and runs no deep check', async () => {
    const res = await fetch(`${origin.url}/health/live`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('POST /health (no such route) is a 4xx problem+json', async () => {
    const res = await fetch(`${origin.url}/health`, { method: 'POST' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  // Last in this group: it puts the origin into draining mode.
  it('once draining (SIGTERM received), /health is 503 with app failing so balancers drain it; /health/live stays 200', async () => {
    origin.server.runtime.beginShutdown();
    const { status, body } = await health(origin.url);
    expect(status).toBe(503);
    expect(body.checks.app).toMatchObject({ status: 'fail', error: 'shutting down' });
    expectOkCheck(body.checks.database);
    expectOkCheck(body.checks.storage);
    expect(await origin.metric('imgedge_health_check_status', { check: 'app', status: 'fail' })).toBe(1);
    expect((await fetch(`${origin.url}/health/live`)).status).toBe(200);
  });
});

describe('/health with Redis configured', () => {
  let available = false;
  beforeAll(async () => {
    available = await redisAnswers(TEST_REDIS_URL);
  });

  it('REDIS_URL of a live redis-server: a redis check, ok, and 200', async (ctx) => {
    if (!available) {
      if (REDIS_REQUIRED)
        throw new Error(`Redis is required but does not answer at ${TEST_REDIS_URL} (TEST_REDIS_URL)`);
      ctx.skip(`no Redis at ${TEST_REDIS_URL}; set TEST_REDIS_URL (or IMGEDGE_REQUIRE_SERVICES=1 to fail)`);
    }
    const origin = await startTestOrigin({ REDIS_URL: TEST_REDIS_URL });
    try {
      const { status, body } = await health(origin.url);
      expect(status).toBe(200);
      expect(Object.keys(body.checks).sort()).toEqual(['app', 'database', 'redis', 'storage']);
      expectOkCheck(body.checks.redis);
    } finally {
      await origin.close();
    }
  });

  it('REDIS_URL of a closed port: 503, redis failing with a short error, the other checks ok', async () => {
    const port = await closedPort();
    const origin = await startTestOrigin({ REDIS_URL: `redis://127.0.0.1:${port}` });
    try {
      const { status, body } = await health(origin.url);
      expect(status).toBe(503);
      expect(body.status).toBe('fail');
      expect(body.checks.redis?.status).toBe('fail');
      expectShortError(body.checks.redis?.error);
      expectOkCheck(body.checks.database);
      expectOkCheck(body.checks.storage);
      expectOkCheck(body.checks.app);
      // Liveness does not depend on Redis.
      expect((await fetch(`${origin.url}/health/live`)).status).toBe(200);
    } finally {
      await origin.close();
    }
  });

  it('REDIS_URL of a server that is not Redis (answers garbage): 503, not a hang or a crash', async () => {
    const server = createServer((socket) => {
      socket.on('error', () => {});
      socket.resume(); // consume what the probe sends, or the socket never closes
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const origin = await startTestOrigin({ REDIS_URL: `redis://127.0.0.1:${port}` });
    try {
      const { status, body } = await health(origin.url);
      expect(status).toBe(503);
      expect(body.checks.redis?.status).toBe('fail');
      expectShortError(body.checks.redis?.error);
    } finally {
      await origin.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('/health with coordination through Redis: Redis going away degrades, it does not fail', () => {
  it('a degraded check makes the report degraded and the answer 200; a failing one still 503', async () => {
    const degraded = await runHealthChecks(
      [
        { name: 'database', run: async () => {} },
        {
          name: 'redis',
          run: async () => ({ status: 'degraded', error: 'redis down; coordination is local' }),
        },
      ],
      1000,
      false,
    );
    expect(degraded.status).toBe('degraded');
    expect(degraded.checks.redis).toMatchObject({
      status: 'degraded',
      error: 'redis down; coordination is local',
    });
    expect(degraded.checks.database?.status).toBe('ok');
    const failing = await runHealthChecks(
      [
        { name: 'redis', run: async () => ({ status: 'degraded', error: 'down' }) },
        {
          name: 'storage',
          run: async () => {
            throw new Error('bucket gone');
          },
        },
      ],
      1000,
      false,
    );
    expect(failing.status).toBe('fail');
  });

  it('Redis answered, then stopped: 200 with redis degraded and a short reason; ok again once it is back', async () => {
    const redis = await startThrowawayRedis();
    await redis.start();
    const origin = await startTestOrigin({ REDIS_URL: redis.url });
    try {
      await until(async () => (await health(origin.url)).body.checks.redis?.status === 'ok', 'redis ok');
      await redis.stop();
      const { status, body } = await health(origin.url);
      expect(status).toBe(200);
      expect(body.status).toBe('degraded');
      expect(body.checks.redis?.status).toBe('degraded');
      expectShortError(body.checks.redis?.error);
      expectOkCheck(body.checks.database);
      expectOkCheck(body.checks.app);
      expect((await fetch(`${origin.url}/health/live`)).status).toBe(200);
      await redis.start();
      await until(async () => {
        const again = await health(origin.url);
        return again.status === 200 && again.body.checks.redis?.status === 'ok';
      }, 'redis ok again');
    } finally {
      await origin.close();
      await redis.stop();
    }
  });
});

/**
 * A scripted stand-in for redis-server: once the probe's commands (ending with PING) have
 * arrived, `answer` decides what goes back. Records what it received.
 */
async function fakeRedis(answer: (received: string, socket: Socket) => void) {
  const received: string[] = [];
  const server = createServer((socket) => {
    let text = '';
    socket.on('error', () => {});
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('PING\r\n')) {
        received.push(text);
        answer(text, socket);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.unref();
      }),
  };
}

describe('/health redis probe against scripted servers', () => {
  it('a PONG split across TCP segments is still a PONG (200)', async () => {
    const redis = await fakeRedis((_, socket) => {
      socket.write('+PO');
      setTimeout(() => socket.write('NG\r\n'), 50);
    });
    const origin = await startTestOrigin({ REDIS_URL: `redis://127.0.0.1:${redis.port}` });
    try {
      const { status, body } = await health(origin.url);
      expect(body.checks.redis?.error).toBeUndefined();
      expect(status).toBe(200);
      expectOkCheck(body.checks.redis);
    } finally {
      await origin.close();
      await redis.close();
    }
  });

  it('a password in REDIS_URL is sent with AUTH; a refused AUTH is a 503 that never shows the password', async () => {
    const redis = await fakeRedis((text, socket) => {
      if (text.includes('$14\r\ngood-pw-Xy9_q1\r\n')) socket.write('+OK\r\n+PONG\r\n');
      else
        socket.write(
          '-WRONGPASS invalid username-password pair or user is disabled.\r\n-NOAUTH Authentication required.\r\n',
        );
    });
    const good = await startTestOrigin({ REDIS_URL: `redis://:good-pw-Xy9_q1@127.0.0.1:${redis.port}` });
    const bad = await startTestOrigin({ REDIS_URL: `redis://:bad-pw-Zz8_q2@127.0.0.1:${redis.port}` });
    try {
      const ok = await health(good.url);
      expect(ok.status).toBe(200);
      expectOkCheck(ok.body.checks.redis);
      expect(redis.received.some((t) => t.startsWith('*2\r\n$4\r\nAUTH\r\n'))).toBe(true);

      const refused = await health(bad.url);
      expect(refused.status).toBe(503);
      expect(refused.body.checks.redis?.error).toMatch(/WRONGPASS/);
      expectShortError(refused.body.checks.redis?.error);
      expect(JSON.stringify(refused.body)).not.toContain('bad-pw-Zz8_q2');
      expect(JSON.stringify(bad.logs)).not.toContain('bad-pw-Zz8_q2');
    } finally {
      await good.close();
      await bad.close();
      await redis.close();
    }
  });

  it('a server that hangs up without answering fails at once with that reason, not a timeout', async () => {
    const redis = await fakeRedis((_, socket) => socket.end());
    const origin = await startTestOrigin({ REDIS_URL: `redis://127.0.0.1:${redis.port}` });
    try {
      const { status, body } = await health(origin.url);
      expect(status).toBe(503);
      expect(body.checks.redis?.error).toMatch(/closed/);
      expectShortError(body.checks.redis?.error);
    } finally {
      await origin.close();
      await redis.close();
    }
  });
});

describe('/health when Postgres becomes unreachable (TCP proxy between origin and Postgres)', () => {
  const name = '503 while Postgres is cut or black-holed, 200 again once it is back';
  // Needs a real server (a database of its own behind the proxy), whatever backend the rest of
  // the run uses: it runs whenever TEST_DATABASE_URL is set, including IMGEDGE_TEST_DB=pglite runs.
  if (!adminUrl()) {
    if (REQUIRE_SERVICES) {
      it(name, () => {
        throw new Error('IMGEDGE_REQUIRE_SERVICES=1: this case needs real Postgres; set TEST_DATABASE_URL');
      });
    } else {
      it.skip(`${name} — needs real Postgres (TEST_DATABASE_URL); skipped without it`, () => {});
    }
    return;
  }

  let proxy: TcpProxy;
  let server: RunningServer;
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let dirs: Awaited<ReturnType<typeof tempDirs>>;
  const logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    database = await createPostgresDatabase();
    const target = new URL(adminUrl()!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(database.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    dirs = await tempDirs();
    const config = loadConfig({
      SECRET_KEY: TEST_SECRET_KEY,
      ORIGIN_AUTH_TOKEN: TEST_ORIGIN_TOKEN,
      API_HOST: '127.0.0.1',
      API_PORT: '0',
      DATABASE_URL: viaProxy.toString(),
      UPLOAD_DIR: dirs.upload,
      OUTPUT_DIR: dirs.output,
      SHUTDOWN_TIMEOUT_MS: '2000',
    });
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
        done();
      },
    });
    server = await startServer(config, createLogger({ level: 'debug', destination: sink }));
  });

  afterAll(async () => {
    await proxy?.restore().catch(() => {});
    await server?.shutdown();
    await proxy?.close();
    await database?.close();
    await dirs?.remove();
  });

  /** Polls /health until it answers `want` (each answer bounded; the whole wait bounded). */
  async function healthBecomes(
    want: number,
    also: (body: Health) => boolean = () => true,
    withinMs = 30_000,
  ): Promise<Health> {
    const deadline = Date.now() + withinMs;
    let last: { status: number; body: Health } | undefined;
    while (Date.now() < deadline) {
      last = await health(server.url);
      if (last.status === want && also(last.body)) return last.body;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`/health did not become ${want}; last: ${JSON.stringify(last)}`);
  }

  it(name, async () => {
    // Up, through the proxy: a client, a token and an image, so the API has real work to do.
    const client = await createClient(server.runtime.db, 'ops-proxy', ['images:read', 'images:write']);
    const tokenRes = await fetchToken(`${server.url}/api/v1`, client.client_id, client.client_secret);
    expect(tokenRes.status).toBe(200);
    const token = ((await tokenRes.json()) as { access_token: string }).access_token;
    const up = await fetch(`${server.url}/api/v1/images`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'image/jpeg' },
      body: await photoJpeg(64, 48),
    });
    expect(up.status).toBe(201);
    const first = await health(server.url);
    expect(first.status).toBe(200);
    expectOkCheck(first.body.checks.database);
    expect(proxy.forwarded).toBeGreaterThan(0);

    // 1. Cut: the port closes and every connection dies.
    await proxy.cut('refuse');
    const down = await healthBecomes(503);
    expect(down.status).toBe('fail');
    expect(down.checks.database?.status).toBe('fail');
    expectShortError(down.checks.database?.error);
    expectOkCheck(down.checks.storage);
    expectOkCheck(down.checks.app);
    // The same in /metrics: the database check failing, and failed statements counted with no
    // SQLSTATE (no answer from the server).
    const dbStatus = (state: string) =>
      scrapeMetric(server.url, 'imgedge_health_check_status', { check: 'database', status: state });
    expect(await dbStatus('fail')).toBe(1);
    expect(await dbStatus('ok')).toBe(0);
    expect(
      await scrapeMetric(server.url, 'imgedge_database_errors_total', { sqlstate_class: 'none' }),
    ).toBeGreaterThan(0);
    // Liveness never touches the database.
    const live = await fetch(`${server.url}/health/live`);
    expect(live.status).toBe(200);
    // An API call that needs the database: a transient 503 problem+json with Retry-After (not a
    // 500 "bug"), without a stack trace or connection details.
    const list = await fetch(`${server.url}/api/v1/images`, {
      headers: { authorization: `Bearer ${token}`, 'x-request-id': 'db-down-1' },
      signal: AbortSignal.timeout(15_000),
    });
    expect(list.status).toBe(503);
    expect(list.headers.get('content-type')).toBe('application/problem+json');
    expect(Number(list.headers.get('retry-after'))).toBeGreaterThan(0);
    const problem = await list.text();
    expect(problem).not.toMatch(/\n\s+at\s|node_modules|\.ts:\d+|ECONNREFUSED|127\.0\.0\.1/);
    expect(JSON.parse(problem).code).toBe('unavailable');
    // The cause is in the log, with the request id.
    const logged = logs.find((l) => l.request_id === 'db-down-1' && l.level === 'error');
    expect(JSON.stringify(logged?.err)).toMatch(/ECONNREFUSED|CONNECTION/);

    // 2. Back: /health recovers without a restart, and so does the API.
    await proxy.restore();
    const up2 = await healthBecomes(200);
    expectOkCheck(up2.checks.database);
    expect(await dbStatus('ok')).toBe(1);
    expect(await dbStatus('fail')).toBe(0);
    const listAgain = await fetch(`${server.url}/api/v1/images`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(listAgain.status).toBe(200);
    expect(((await listAgain.json()) as { items: unknown[] }).items).toHaveLength(1);

    // 3. Black hole: connections are accepted but nothing ever answers. /health must still
    //    answer (the check times out), not hang with the database.
    //    (The first answer may report the pooled connection that was just destroyed; the ones
    //    after it see connections that open but never answer.)
    await proxy.cut('hang');
    const hung = await healthBecomes(503, (b) => /timed out/i.test(b.checks.database?.error ?? ''));
    expect(hung.checks.database?.status).toBe('fail');
    expectShortError(hung.checks.database?.error);
    expectOkCheck(hung.checks.storage);
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);

    // 4. Back again.
    await proxy.restore();
    const up3 = await healthBecomes(200);
    expectOkCheck(up3.checks.database);
  }, 90_000);
});
