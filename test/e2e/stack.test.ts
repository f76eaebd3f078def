/**
 * End to end: the real origin and the real worker under `wrangler dev` (workerd), started the way
 * `npm start` starts them, exercised over HTTP by the smoke script and by the flow of issue 4.
 */

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort } from '../../scripts/lib/ports.js';
import { ROOT, type Stack, startStack } from '../../scripts/stack.js';
import { runSmoke, SMOKE_STEP_COUNT } from '../smoke/run-smoke.js';
import { photoJpeg } from '../support/images.js';
import { scrapeMetric } from '../support/metrics.js';
import { clientToken } from '../support/oauth.js';

const transforms = (originUrl: string) => scrapeMetric(originUrl, 'imgedge_transforms_total');

/** The variables of a test stack: free ports, and the real Postgres when the tests have one. */
async function stackEnv(): Promise<Record<string, string>> {
  const env: Record<string, string> = {
    API_PORT: String(await freePort()),
    EDGE_PORT: String(await freePort()),
  };
  // Against the real Postgres when the tests have one; else the stack's embedded PGlite.
  if (process.env.TEST_DATABASE_URL && process.env.IMGEDGE_TEST_DB !== 'pglite') {
    env.DATABASE_URL = process.env.TEST_DATABASE_URL;
  }
  return env;
}

describe('local stack (origin + wrangler dev)', () => {
  let stack: Stack;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'imgedge-e2e-'));
    stack = await startStack({ dataDir, env: await stackEnv(), useDotEnv: false, logs: 'silent' });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('passes the smoke script', async () => {
    const steps = await runSmoke({
      baseUrl: stack.edgeUrl,
      clientId: stack.client.client_id,
      clientSecret: stack.client.client_secret,
      signingKey: stack.env.SIGNING_KEY!,
    });
    expect(steps.filter((s) => !s.ok)).toEqual([]);
    expect(steps).toHaveLength(SMOKE_STEP_COUNT);
  });

  it('token → upload → variant MISS → HIT without a second transform → delete', async () => {
    const api = `${stack.edgeUrl}/api/v1`;
    const token = await clientToken(api, stack.client);

    const upload = await fetch(`${api}/images`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'image/jpeg' },
      body: new Uint8Array(await photoJpeg(1024, 768, 7)),
    });
    expect(upload.status).toBe(201);
    const { id } = (await upload.json()) as { id: string };

    const before = await transforms(stack.originUrl);
    const miss = await fetch(`${stack.edgeUrl}/img/card/${id}`, {
      headers: { accept: 'image/avif,image/webp' },
    });
    expect(miss.status).toBe(200);
    expect(miss.headers.get('x-cache')).toBe('MISS');
    expect(miss.headers.get('content-type')).toBe('image/avif');
    const missBytes = new Uint8Array(await miss.arrayBuffer());
    expect(await transforms(stack.originUrl)).toBe(before + 1);

    const hit = await fetch(`${stack.edgeUrl}/img/card/${id}`, {
      headers: { accept: 'image/avif,image/webp' },
    });
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(new Uint8Array(await hit.arrayBuffer())).toEqual(missBytes);
    expect(await transforms(stack.originUrl)).toBe(before + 1);

    const del = await fetch(`${api}/images/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(del.status).toBe(204);
    const gone = await fetch(`${api}/images/${id}`, { headers: { authorization: `Bearer ${token}` } });
    expect(gone.status).toBe(404);
  });
});

describe('local stack with SIGNED_URLS=required and SIGNING_KEY from the environment', () => {
  let stack: Stack;
  let dataDir: string;
  let env: Record<string, string>;
  let workerOutput = '';

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'imgedge-e2e-'));
    // Not the key the stack generates into dev-secrets.json: the one the environment gives.
    env = { ...(await stackEnv()), SIGNED_URLS: 'required', SIGNING_KEY: randomBytes(32).toString('hex') };
    stack = await startStack({
      dataDir,
      env,
      useDotEnv: false,
      logs: 'silent',
      onWorkerOutput: (text) => {
        workerOutput += text;
      },
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('npm run smoke passes, with the key and the policy the stack resolved', async () => {
    // The smoke CLI as a user runs it: the same environment and data dir, no key or policy given.
    const run = promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'test/smoke/smoke.ts'),
        '--base-url',
        stack.edgeUrl,
        '--data-dir',
        dataDir,
      ],
      { cwd: ROOT, env: { ...process.env, ...env } },
    );
    const { stdout } = await run.catch((err: { stdout: string; stderr: string }) => {
      throw new Error(`smoke failed:\n${err.stdout}${err.stderr}`);
    });
    expect(stdout).toContain(`smoke test of ${stack.edgeUrl}`);
    expect(stdout).toContain(`\n${SMOKE_STEP_COUNT} passed, 0 failed`);
  }, 90_000);

  it("prints the worker's JSON log line for each request", async () => {
    const res = await fetch(`${stack.edgeUrl}/health`);
    await res.arrayBuffer();
    const id = res.headers.get('x-request-id');
    expect(id).toBeTruthy();
    const line = await vi.waitFor(
      () => {
        const found = workerOutput.split('\n').find((l) => l.includes(`"id":"${id}"`));
        if (!found) throw new Error(`no log line with id ${id} in the worker output:\n${workerOutput}`);
        return found;
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(JSON.parse(line.slice(line.indexOf('{')))).toMatchObject({
      level: 'info',
      id,
      method: 'GET',
      route: '/health',
      status: 200,
    });
  });
});
