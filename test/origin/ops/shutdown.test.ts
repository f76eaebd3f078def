/**
 * Graceful shutdown of the real process (`origin/main.ts`): on SIGTERM the origin stops accepting
 * connections at once, lets the in-flight request (a slow AVIF transform) finish with a full 200,
 * closes the database and exits 0 — within SHUTDOWN_TIMEOUT_MS. An upload whose body is still
 * arriving when SIGTERM lands is finished too. When a request outlives SHUTDOWN_TIMEOUT_MS the
 * process does not wait for it: it cuts the connection and exits anyway.
 */
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../support/db.js';
import { largeFlatPng } from '../../support/images.js';
import { TEST_ORIGIN_TOKEN } from '../../support/origin.js';
import {
  cliCreateClient,
  fetchToken,
  type IsolatedDatabase,
  isolatedDatabase,
  type OriginProcess,
  originEnv,
  spawnOrigin,
  tempDirs,
} from '../../support/spawn-origin.js';

/**
 * Polls until a new TCP connection is refused. Right after "shutting down" is logged the listening
 * socket may not be closed yet (the kernel completes handshakes into the backlog on its own), so
 * one attempt could race it; refused within a few seconds is the contract.
 */
async function untilRefused(port: number): Promise<string> {
  let last = '';
  for (let i = 0; i < 100; i++) {
    last = await tryConnect(port);
    if (last === 'ECONNREFUSED') return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  return last;
}

/** Resolves with the connect error code (ECONNREFUSED…) or 'connected'. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

async function metricValue(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : Number.NaN;
}

/** Waits until the process has a transform running (no timing guess: it reads /metrics). */
async function untilTransformRunning(origin: OriginProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await metricValue(origin.url, 'imgedge_transform_in_flight')) >= 1) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the transform never started');
}

/**
 * An upload whose body is sent in two parts: the first now, the rest on `finish()`. In between
 * the request is in flight for as long as the test wants (no timing involved).
 */
function stalledUpload(api: string, token: string, body: Buffer) {
  const split = Math.floor(body.length / 2);
  const req = request(`${api}/images`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'image/png',
      'content-length': String(body.length),
    },
  });
  const response = new Promise<
    { status: number; body: string; connection: string | undefined } | { error: string }
  >((resolve) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: text, connection: res.headers.connection }),
      );
      res.on('error', (err) => resolve({ error: err.message }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
  });
  req.write(body.subarray(0, split));
  return { response, finish: () => req.end(body.subarray(split)) };
}

/** Waits until the origin is receiving an upload (its temp file exists under UPLOAD_DIR/.tmp). */
async function untilReceiving(uploadDir: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const names = await readdir(join(uploadDir, '.tmp')).catch(() => [] as string[]);
    if (names.some((n) => n.endsWith('.part'))) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the upload never reached the origin');
}

async function exitWithin(origin: OriginProcess, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`origin did not exit within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([origin.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describeDb('graceful shutdown of the origin process', () => {
  let database: IsolatedDatabase;
  let dirs: Awaited<ReturnType<typeof tempDirs>>;
  let client: { client_id: string; client_secret: string };
  let imageId = '';
  let token = '';
  let origin: OriginProcess | undefined;

  beforeAll(async () => {
    database = await isolatedDatabase();
    dirs = await tempDirs();
    client = await cliCreateClient(database.env);
  });
  afterAll(async () => {
    await origin?.kill();
    await database?.close();
    await dirs?.remove();
  });

  const start = async (extra: Record<string, string>) => {
    origin = await spawnOrigin({ ...originEnv(dirs, extra), ...database.env, TRANSFORM_CONCURRENCY: '2' });
    if (!imageId) {
      const tokenRes = await fetchToken(origin.api, client.client_id, client.client_secret);
      token = ((await tokenRes.json()) as { access_token: string }).access_token;
      const up = await fetch(`${origin.api}/images`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'image/png' },
        body: await largeFlatPng(4000, 4000),
      });
      expect(up.status).toBe(201);
      imageId = ((await up.json()) as { id: string }).id;
    }
    return origin;
  };

  // Both sides given: the output is exactly width×width.
  const slowVariant = (o: OriginProcess, width: number) =>
    fetch(`${o.url}/internal/v1/variants/w=${width},h=${width}/${imageId}?format=avif`, {
      headers: { authorization: `Bearer ${TEST_ORIGIN_TOKEN}` },
    });

  it('SIGTERM: stops accepting, the in-flight AVIF request completes with 200, exit 0', async () => {
    const shutdownTimeoutMs = 30_000;
    const o = await start({ SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs) });
    expect(await tryConnect(o.port)).toBe('connected');

    // 2800×2800: a slow AVIF, still under the AVIF pixel cap (above it the origin serves webp).
    const inFlight = slowVariant(o, 2800);
    await untilTransformRunning(o);
    o.child.kill('SIGTERM');
    await o.waitForLog((l) => l.msg === 'shutting down');

    // New connections are refused from now on, while the request is still being served.
    expect(await untilRefused(o.port)).toBe('ECONNREFUSED');

    const res = await inFlight;
    expect(res.status).toBe(200);
    // The connection that was busy at SIGTERM is closed after this response, not kept alive.
    expect(res.headers.get('connection')).toBe('close');
    expect(res.headers.get('content-type')).toBe('image/avif');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.byteLength).toBe(Number(res.headers.get('content-length')));
    const meta = await sharp(bytes).metadata();
    expect(meta.format).toBe('heif');
    expect(meta.width).toBe(2800);

    const exit = await exitWithin(o, shutdownTimeoutMs + 5000);
    expect(exit).toEqual({ code: 0, signal: null });
    const messages = o.logs.map((l) => l.msg);
    expect(messages).toContain('stopped');
    // It drained by itself: the shutdown timeout never had to cut anything.
    expect(messages).not.toContain('shutdown timeout: closing open connections');
    expect(o.logs.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    expect(o.stderr()).toBe('');
    // The served request was logged as a 200 before the process went away.
    expect(
      o.logs.some((l) => l.msg === 'request' && l.status === 200 && String(l.path).includes(imageId)),
    ).toBe(true);
  }, 90_000);

  it('an upload still receiving its body when SIGTERM lands is finished (201), then exit 0', async () => {
    const o = await start({ SHUTDOWN_TIMEOUT_MS: '30000' });
    const body = await largeFlatPng(1200, 900);
    const upload = stalledUpload(o.api, token, body);
    await untilReceiving(dirs.upload);
    o.child.kill('SIGTERM');
    await o.waitForLog((l) => l.msg === 'shutting down');
    expect(await untilRefused(o.port)).toBe('ECONNREFUSED');
    upload.finish();
    const outcome = await upload.response;
    // Answered, and the connection is not kept alive past the shutdown.
    expect(outcome).toMatchObject({ status: 201, connection: 'close' });
    const record = JSON.parse((outcome as { body: string }).body) as { sha256: string; bytes: number };
    expect(record.bytes).toBe(body.byteLength);
    expect(await exitWithin(o, 35_000)).toEqual({ code: 0, signal: null });
    expect(o.logs.map((l) => l.msg)).not.toContain('shutdown timeout: closing open connections');
  }, 90_000);

  it('a request that outlives SHUTDOWN_TIMEOUT_MS is cut and the process still exits 0', async () => {
    const o = await start({ SHUTDOWN_TIMEOUT_MS: '300' });
    // This body is never finished: only the shutdown timeout can end the request.
    const upload = stalledUpload(o.api, token, await largeFlatPng(1000, 800));
    await untilReceiving(dirs.upload);
    o.child.kill('SIGTERM');
    const exit = await exitWithin(o, 20_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(o.logs.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['shutdown timeout: closing open connections', 'stopped']),
    );
    // The client saw its connection closed, not a made-up answer.
    expect(await upload.response).toHaveProperty('error');
  }, 90_000);
});
