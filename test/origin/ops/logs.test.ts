/**
 * Logs and error bodies over real HTTP: `X-Request-Id` is taken when valid, generated when absent
 * or invalid, echoed in the response and carried by every log line of the request; credentials
 * (Bearer tokens, client secrets, HTTP Basic, the origin token, SECRET_KEY) never reach the logs;
 * 4xx and 5xx bodies are problem+json without a stack trace (the stack goes to the log instead).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../support/db.js';
import { photoJpeg } from '../../support/images.js';
import {
  startTestOrigin,
  TEST_ORIGIN_TOKEN,
  TEST_SECRET_KEY,
  type TestOrigin,
  testStorageKind,
} from '../../support/origin.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STACK = /\n\s+at |\bat [\w.<>$]+ \(|node_modules|\.ts:\d+|\/tmp\//;

describeDb('request ids, redaction and error bodies', () => {
  let origin: TestOrigin;
  let token: string;
  let imageId: string;

  beforeAll(async () => {
    origin = await startTestOrigin({ LOG_LEVEL: 'debug' });
    token = await origin.token();
    const up = await origin.upload(await photoJpeg(64, 48, 21), token);
    imageId = ((await up.json()) as { id: string }).id;
  });
  afterAll(() => origin?.close());

  /** Runs `fn` and returns the log lines written while it ran (requests here are sequential). */
  async function linesDuring<T>(
    fn: () => Promise<T>,
  ): Promise<{ result: T; lines: Record<string, unknown>[] }> {
    const from = origin.logs.length;
    const result = await fn();
    // The per-request line is written after the response is handed over: wait for it.
    for (let i = 0; i < 50 && !origin.logs.slice(from).some((l) => l.msg === 'request'); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    return { result, lines: origin.logs.slice(from) };
  }

  it('a valid X-Request-Id is echoed and carried by every log line of that request', async () => {
    const body = await photoJpeg(72, 40, 22);
    const { result: res, lines } = await linesDuring(() =>
      fetch(`${origin.api}/images`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'image/jpeg',
          'x-request-id': 'abc-123',
        },
        body,
      }),
    );
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['upload', 'request']));
    for (const line of lines) expect(line.request_id).toBe('abc-123');
    const request = lines.find((l) => l.msg === 'request')!;
    expect(request).toMatchObject({ method: 'POST', route: '/api/v1/images', status: 201, level: 'info' });
  });

  it('the id is echoed and logged on error answers too (4xx from a route, 404 from no route)', async () => {
    for (const url of [`${origin.api}/images/no-such-image`, `${origin.url}/no/such/route`]) {
      const { result: res, lines } = await linesDuring(() =>
        fetch(url, { headers: { authorization: `Bearer ${token}`, 'x-request-id': 'err-req.42:x' } }),
      );
      expect(res.status).toBe(404);
      expect(res.headers.get('x-request-id')).toBe('err-req.42:x');
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line.request_id).toBe('err-req.42:x');
    }
  });

  it('without X-Request-Id a fresh id is generated, echoed and logged (a new one per request)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { result: res, lines } = await linesDuring(() =>
        fetch(`${origin.api}/images/${imageId}`, { headers: { authorization: `Bearer ${token}` } }),
      );
      expect(res.status).toBe(200);
      const id = res.headers.get('x-request-id')!;
      expect(id).toMatch(UUID);
      for (const line of lines) expect(line.request_id).toBe(id);
      ids.push(id);
    }
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('an invalid X-Request-Id (too long, spaces, quotes, non-ASCII) is replaced, never echoed or logged', async () => {
    const invalid = ['x'.repeat(300), 'has spaces in it', 'quote"and\\slash', 'caf%C3%A9-{}', 'a,b'];
    for (const bad of invalid) {
      const { result: res, lines } = await linesDuring(() =>
        fetch(`${origin.url}/health/live-no`, { headers: { 'x-request-id': bad } }),
      );
      const echoed = res.headers.get('x-request-id')!;
      expect(echoed).toMatch(UUID);
      for (const line of lines) expect(line.request_id).toBe(echoed);
      expect(JSON.stringify(lines)).not.toContain(bad);
    }
  });

  it('no token, secret or credential ever appears in the logs', async () => {
    const client = await origin.newClient(['images:read', 'images:write']);
    const from = origin.logs.length;
    const secrets: string[] = [client.client_secret, TEST_SECRET_KEY, TEST_ORIGIN_TOKEN];

    // Token request, form body.
    const form = await fetch(`${origin.api}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': 'tok-form' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: client.client_id,
        client_secret: client.client_secret,
      }),
    });
    expect(form.status).toBe(200);
    const access = ((await form.json()) as { access_token: string }).access_token;
    secrets.push(access);

    // Token request, HTTP Basic.
    const basic = Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64');
    secrets.push(basic);
    const viaBasic = await fetch(`${origin.api}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    expect(viaBasic.status).toBe(200);
    secrets.push(((await viaBasic.json()) as { access_token: string }).access_token);

    // A wrong secret (refused) and an unknown grant, both with the secret in the body.
    const wrongSecret = `wrong-${randomBytes(16).toString('hex')}`;
    secrets.push(wrongSecret);
    const refused = await fetch(`${origin.api}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: client.client_id,
        client_secret: wrongSecret,
      }),
    });
    expect(refused.status).toBe(401);
    const badGrant = await fetch(`${origin.api}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: client.client_id,
        client_secret: client.client_secret,
      }),
    });
    expect(badGrant.status).toBe(400);

    // The Bearer token on API calls: accepted, and a forged one refused.
    expect(
      (await fetch(`${origin.api}/images`, { headers: { authorization: `Bearer ${access}` } })).status,
    ).toBe(200);
    const forged = `${access.slice(0, -6)}AAAAAA`;
    secrets.push(forged);
    expect(
      (await fetch(`${origin.api}/images`, { headers: { authorization: `Bearer ${forged}` } })).status,
    ).toBe(401);
    const garbage = `garbage.${randomBytes(12).toString('hex')}.token`;
    secrets.push(garbage);
    expect(
      (await fetch(`${origin.api}/images`, { headers: { authorization: `Bearer ${garbage}` } })).status,
    ).toBe(401);

    // The origin token on /internal, right and wrong.
    expect((await origin.variant(`w=20/${imageId}`, 'format=webp')).status).toBe(200);
    const wrongOrigin = `wrong-origin-${randomBytes(16).toString('hex')}`;
    secrets.push(wrongOrigin);
    const forbidden = await fetch(`${origin.url}/internal/v1/variants/w=20/${imageId}?format=webp`, {
      headers: { authorization: `Bearer ${wrongOrigin}` },
    });
    expect(forbidden.status).toBe(403);

    await new Promise((r) => setTimeout(r, 50));
    const lines = origin.logs.slice(from);
    expect(lines.length).toBeGreaterThanOrEqual(8);
    const all = JSON.stringify(origin.logs);
    for (const secret of secrets) expect(all).not.toContain(secret);
    // The parts of a JWT are not logged separately either (signature, payload).
    const [, payload, signature] = access.split('.');
    expect(all).not.toContain(payload);
    expect(all).not.toContain(signature);
    expect(all).not.toMatch(/Bearer [A-Za-z0-9]/);
  });

  it('4xx bodies are problem+json with a code and no stack trace', async () => {
    const cases: [string, RequestInit, number][] = [
      [
        `${origin.url}/internal/v1/variants/w=0/${imageId}?format=webp`,
        { headers: { authorization: `Bearer ${TEST_ORIGIN_TOKEN}` } },
        400,
      ],
      [`${origin.api}/images`, {}, 401],
      [`${origin.url}/internal/v1/variants/w=20/${imageId}?format=webp`, {}, 403],
      [`${origin.api}/images/none`, { headers: { authorization: `Bearer ${token}` } }, 404],
      [
        `${origin.api}/images`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'image/png' },
          body: 'plain text, no image',
        },
        415,
      ],
      [
        `${origin.api}/oauth/token`,
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":' },
        400,
      ],
    ];
    for (const [url, init, status] of cases) {
      const res = await fetch(url, init);
      const text = await res.text();
      expect(res.status, `${url}: ${text}`).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(typeof JSON.parse(text).code).toBe('string');
      expect(text).not.toMatch(STACK);
    }
  });

  // It breaks the original on the local disk; with originals in S3 (npm run test:s3) it is skipped
  // there and runs in the main pass.
  it.skipIf(testStorageKind === 's3')(
    'a 5xx body is a bare problem+json; the stack goes to the log line with the request id',
    async () => {
      // An image whose original was replaced by a folder: reading it fails unexpectedly (EISDIR).
      // (A vanished original is a 404, see the variants tests.)
      const up = await origin.upload(await photoJpeg(50, 50, 23), token);
      const { id, sha256 } = (await up.json()) as { id: string; sha256: string };
      const original = `${origin.dirs.upload}/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
      await rm(original);
      await mkdir(original);
      const { result: res, lines } = await linesDuring(() =>
        origin.variant(`w=30/${id}`, 'format=webp', { 'x-request-id': 'five-hundred' }),
      );
      const text = await res.text();
      expect(res.status, text).toBeGreaterThanOrEqual(500);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.headers.get('x-request-id')).toBe('five-hundred');
      const problem = JSON.parse(text);
      expect(problem.status).toBe(res.status);
      expect(text).not.toMatch(STACK);
      expect(text).not.toContain(sha256);
      expect(text).not.toContain('EISDIR');
      const error = lines.find((l) => l.level === 'error');
      expect(error?.request_id).toBe('five-hundred');
      expect(JSON.stringify(error)).toMatch(/stack/);
    },
  );
});
