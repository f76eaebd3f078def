/**
 * The container, without Docker: what the Dockerfile's stages do, done here and then run.
 *   build     → `tsc -p origin/tsconfig.build.json` into a temp dir (the `build` stage)
 *   prod-deps → `npm ci --omit=dev --ignore-scripts` from the lockfile alone (the `prod-deps` stage)
 *   runtime   → only package.json, node_modules and dist; started as a non-root user with only the
 *               runtime environment (the Dockerfile's ENV), probed with the Dockerfile's own
 *               HEALTHCHECK command, then /health and one real transform.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, chown, copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { photoJpeg } from '../support/images.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const NOBODY = { uid: 65534, gid: 65534 };
const asRoot = process.getuid?.() === 0;

let app: string;
let data: string;
let port: number;
let origin: ChildProcess | undefined;
let dockerfile: string;
let client: { client_id: string; client_secret: string };
const secrets = { SECRET_KEY: 'c'.repeat(40), ORIGIN_AUTH_TOKEN: 'd'.repeat(40) };

function dockerEnv(): Record<string, string> {
  // The runtime stage's ENV instruction, parsed from the Dockerfile itself.
  const block = /^ENV ((?:.*\\\n)*.*)$/m.exec(dockerfile)?.[1] ?? '';
  return Object.fromEntries(
    block
      .replaceAll('\\\n', ' ')
      .trim()
      .split(/\s+/)
      .map((pair) => pair.split('=') as [string, string]),
  );
}

function runtimeEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: data,
    ...dockerEnv(),
    ...secrets,
    API_HOST: '127.0.0.1',
    API_PORT: String(port),
    UPLOAD_DIR: join(data, 'uploads'),
    OUTPUT_DIR: join(data, 'variants'),
    PGLITE_DIR: join(data, 'pglite'),
  };
}

const user = asRoot ? NOBODY : {};

beforeAll(async () => {
  dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
  const base = await mkdtemp(join(tmpdir(), 'imgedge-container-'));
  app = join(base, 'app');
  data = join(base, 'data');
  await mkdir(app, { recursive: true });
  await mkdir(data, { recursive: true });
  // build stage
  await run(
    join(ROOT, 'node_modules/.bin/tsc'),
    ['-p', 'origin/tsconfig.build.json', '--outDir', join(app, 'dist')],
    {
      cwd: ROOT,
    },
  );
  // prod-deps stage
  await copyFile(join(ROOT, 'package.json'), join(app, 'package.json'));
  await copyFile(join(ROOT, 'package-lock.json'), join(app, 'package-lock.json'));
  await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: app,
    env: { ...process.env, NODE_ENV: 'production' },
  });
  await rm(join(app, 'package-lock.json'));
  // runtime stage: app files root-owned and read-only to the service user, /data writable.
  await chmod(base, 0o755);
  if (asRoot) await chown(data, NOBODY.uid, NOBODY.gid);
  port = await new Promise<number>((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => done(p));
    });
  });
  // A one-off CLI run before the service starts (PGlite admits one process at a time), as an
  // operator would: `docker run --rm -v data:/data IMAGE node dist/origin/cli/client.js create …`.
  const created = await run(
    process.execPath,
    ['dist/origin/cli/client.js', 'create', '--name', 'container', '--scopes', 'images:read,images:write'],
    { cwd: app, env: runtimeEnv(), ...user },
  );
  const made = JSON.parse(created.stdout) as { client_id: string; client_secret: string };
  client = { client_id: made.client_id, client_secret: made.client_secret };
  origin = spawn(process.execPath, ['dist/origin/main.js'], {
    cwd: app,
    env: runtimeEnv(),
    ...user,
    stdio: 'pipe',
  });
  origin.stdout?.resume();
  let stderr = '';
  origin.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (origin.exitCode !== null) throw new Error(`origin exited ${origin.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`origin did not start: ${stderr}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health/live`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 250));
  }
}, 240_000);

afterAll(async () => {
  if (origin && origin.exitCode === null) {
    const exited = new Promise((r) => origin!.once('exit', r));
    origin.kill('SIGTERM');
    await exited;
  }
  if (app) await rm(resolve(app, '..'), { recursive: true, force: true });
});

describe('container-equivalent runtime', () => {
  it('holds no dev dependencies and no sources', async () => {
    const { stdout } = await run('npm', ['ls', '--omit=dev', '--depth=0', '--json'], { cwd: app }).catch(
      (e) => e,
    );
    const deps = Object.keys((JSON.parse(stdout) as { dependencies?: object }).dependencies ?? {});
    expect(deps).toContain('sharp');
    for (const dev of ['vitest', 'wrangler', 'typescript', 'tsx', '@biomejs/biome'])
      expect(deps).not.toContain(dev);
    await expect(readFile(join(app, 'origin/main.ts'))).rejects.toThrow();
  });

  it('runs as a non-root user', async () => {
    if (!asRoot) {
      console.warn('not root: cannot switch to a non-root user here; run as root (CI does) to check it');
      expect(process.getuid?.()).not.toBe(0);
      return;
    }
    const status = await readFile(`/proc/${origin!.pid}/status`, 'utf8');
    expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe(String(NOBODY.uid));
  });

  it("passes the Dockerfile's own HEALTHCHECK command", async () => {
    const cmd = /^HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(cmd).toBeDefined();
    const [bin, ...args] = JSON.parse(cmd!) as string[];
    expect(bin).toBe('node');
    const ok = await run(process.execPath, args, { env: runtimeEnv(), ...user }).then(
      () => 0,
      (e: { code: number }) => e.code,
    );
    expect(ok).toBe(0);
    const down = await run(process.execPath, args, { env: { ...runtimeEnv(), API_PORT: '9' }, ...user }).then(
      () => 0,
      (e: { code: number }) => e.code,
    );
    expect(down).toBe(1);
  });

  it('answers /health with every check ok', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { checks: Record<string, { status: string }> };
    expect(Object.keys(body.checks).sort()).toEqual(['app', 'database', 'storage']);
  });

  it('issues a token to the client the built CLI created, uploads and transforms one image', async () => {
    const api = `http://127.0.0.1:${port}/api/v1`;
    const res = await fetch(`${api}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...client }),
    });
    expect(res.status).toBe(200);
    const token = ((await res.json()) as { access_token: string }).access_token;
    const upload = await fetch(`${api}/images`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'image/jpeg' },
      body: new Uint8Array(await photoJpeg(1600, 1200, 3)),
    });
    expect(upload.status).toBe(201);
    const { id } = (await upload.json()) as { id: string };
    const variant = await fetch(`http://127.0.0.1:${port}/internal/v1/variants/w=400/${id}?format=webp`, {
      headers: { authorization: `Bearer ${secrets.ORIGIN_AUTH_TOKEN}` },
    });
    expect(variant.status).toBe(200);
    const meta = await sharp(Buffer.from(await variant.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 400, 300]);
    // AVIF is made in the compiled encoder process (AVIF_NICE, origin/transform/avif-child.js).
    const avif = await fetch(`http://127.0.0.1:${port}/internal/v1/variants/w=300/${id}?format=avif`, {
      headers: { authorization: `Bearer ${secrets.ORIGIN_AUTH_TOKEN}` },
    });
    expect(avif.status, await avif.clone().text()).toBe(200);
    const avifMeta = await sharp(Buffer.from(await avif.arrayBuffer())).metadata();
    expect([avifMeta.format, avifMeta.width, avifMeta.height]).toEqual(['heif', 300, 225]);
  });
});
