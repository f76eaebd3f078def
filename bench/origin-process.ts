/**
 * The real origin as a child process, for the HTTP cases (issue 3, and issue 4's edge cases).
 *
 * - Runs like production: `tsc` compiles origin/ once per bench run into a temp dir (≈3 s,
 *   `--noCheck`) and each origin is `node dist/origin/main.js`. `BENCH_ORIGIN=tsx` runs
 *   `node --import tsx origin/main.ts` instead (no build; the tsx loader adds memory and start time).
 * - Data in a temp dir removed at exit. Database: embedded PGlite (default); with
 *   `BENCH_DATABASE_URL=postgres://…` a throwaway database created on that server
 *   (`imgedge_bench_<pid>_<random>`, scripts/lib/throwaway-db.ts) and dropped at the end.
 * - The corpus JPEG is uploaded once per run through the real API (POST /api/v1/images with an
 *   HS256 JWT signed here with SECRET_KEY, as the origin's token endpoint would issue), into a seed
 *   data dir; every origin a case starts gets a copy of it (PGlite is single-process) and an empty
 *   OUTPUT_DIR, so its variant cache starts cold.
 * - Environment as the Dockerfile sets it (NODE_ENV=production, MALLOC_ARENA_MAX=2,
 *   UV_THREADPOOL_SIZE=4), LOG_LEVEL=warn, TRANSFORM_CONCURRENCY=4 unless a case says otherwise;
 *   every other origin variable of this shell is dropped so the figures do not depend on it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SignJWT } from 'jose';
import { envSchema } from '../origin/config/schema.js';
import { captureOutput, spawnChild } from '../scripts/lib/process.js';
import { createThrowawayDatabase } from '../scripts/lib/throwaway-db.js';
import { canonicalize, formatQuery, requestFormat } from '../shared/options/index.js';
import type { ImageOptions } from '../shared/options/types.js';
import { freePort, type Server, startServer } from './server.js';

export const ROOT = resolve(import.meta.dirname, '..');
export const ORIGIN_RUNNER: 'build' | 'tsx' = process.env.BENCH_ORIGIN === 'tsx' ? 'tsx' : 'build';
const DATABASE_URL = process.env.BENCH_DATABASE_URL || undefined;
export const ORIGIN_DB: 'pglite' | 'postgres' = DATABASE_URL ? 'postgres' : 'pglite';

/** Per bench run: the worker's JWT_SECRET is the same SECRET_KEY. */
export const SECRET_KEY = randomBytes(32).toString('base64url');
export const ORIGIN_AUTH_TOKEN = randomBytes(32).toString('base64url');

/** What production (the Dockerfile) sets for the origin process. */
export const PRODUCTION_ENV: Readonly<Record<string, string>> = {
  NODE_ENV: 'production',
  MALLOC_ARENA_MAX: '2',
  UV_THREADPOOL_SIZE: '4',
};

const log = (s: string) => process.stderr.write(`${s}\n`);

let root: string | undefined;
function tempRoot(): string {
  root ??= mkdtempSync(join(tmpdir(), 'imgedge-bench-'));
  return root;
}
/** A fresh directory under this run's temp root (removed at exit). */
export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tempRoot(), prefix));
}

// Registered after server.ts's exit hook (imported above), so children are killed first.
process.once('exit', () => {
  if (root) rmSync(root, { recursive: true, force: true });
});

function run(command: string, args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawnChild(command, args, { cwd: ROOT });
    const output = captureOutput(child);
    child.once('error', fail);
    child.once('exit', (code) =>
      code === 0 ? done() : fail(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output()}`)),
    );
  });
}

let building: Promise<string[]> | undefined;

/** argv of the origin process: the compiled build (once per run) or tsx. */
function originArgs(): Promise<string[]> {
  if (ORIGIN_RUNNER === 'tsx') return Promise.resolve(['--import', 'tsx', join(ROOT, 'origin/main.ts')]);
  building ??= (async () => {
    const t0 = performance.now();
    const dir = join(tempRoot(), 'build');
    await mkdir(dir, { recursive: true });
    // Type errors are the test suite's business; --noCheck only transpiles (like the image's `npm run build`).
    await run(join(ROOT, 'node_modules/.bin/tsc'), [
      '-p',
      join(ROOT, 'origin/tsconfig.build.json'),
      '--outDir',
      join(dir, 'dist'),
      '--sourceMap',
      'false',
      '--noCheck',
    ]);
    // ESM output needs "type": "module"; node_modules is found through a link to the project's.
    await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
    await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    log(`  origin compiled in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return [join(dir, 'dist/origin/main.js')];
  })();
  return building;
}

/** Every variable the origin reads: none leaks in from the shell running the bench. */
const ORIGIN_VARIABLES = [...Object.keys(envSchema.shape), 'MALLOC_ARENA_MAX', 'UV_THREADPOOL_SIZE'];

interface Dirs {
  uploadDir: string;
  outputDir: string;
  pgliteDir: string;
  databaseUrl: string | undefined;
}

export interface OriginOptions {
  /** Shown in errors. */
  label: string;
  /** Overrides of the production-like defaults (e.g. TRANSFORM_CONCURRENCY). */
  env?: Record<string, string>;
  /** Variables to leave unset (e.g. MALLOC_ARENA_MAX, to measure glibc's default). */
  unset?: readonly string[];
}

async function spawnOrigin(dirs: Dirs, opts: OriginOptions): Promise<{ server: Server; url: string }> {
  const port = await freePort();
  const env: Record<string, string> = {
    ...PRODUCTION_ENV,
    LOG_LEVEL: 'warn',
    API_HOST: '127.0.0.1',
    API_PORT: String(port),
    SECRET_KEY,
    ORIGIN_AUTH_TOKEN,
    UPLOAD_DIR: dirs.uploadDir,
    OUTPUT_DIR: dirs.outputDir,
    PGLITE_DIR: dirs.pgliteDir,
    ...(dirs.databaseUrl ? { DATABASE_URL: dirs.databaseUrl } : {}),
    TRANSFORM_CONCURRENCY: '4',
    ...opts.env,
  };
  for (const name of opts.unset ?? []) delete env[name];
  const url = `http://127.0.0.1:${port}`;
  const args = await originArgs();
  try {
    const server = await startServer({
      command: process.execPath,
      args,
      cwd: ROOT,
      env,
      unsetEnv: ORIGIN_VARIABLES.filter((v) => !(v in env)),
      readyUrl: `${url}/health/live`,
      readyTimeoutMs: 60_000,
    });
    return { server, url };
  } catch (err) {
    throw new Error(`origin (${opts.label}) did not start: ${err instanceof Error ? err.message : err}`);
  }
}

interface Seed {
  dir: string;
  databaseUrl: string | undefined;
  imageId: string;
  sha256: string;
}

let seeding: Promise<Seed> | undefined;

/** The corpus JPEG uploaded once per run through the real API; every origin starts from a copy. */
function seed(jpeg: Buffer): Promise<Seed> {
  seeding ??= (async () => {
    const t0 = performance.now();
    const dir = join(tempRoot(), 'seed');
    const databaseUrl = DATABASE_URL ? await createDatabase(DATABASE_URL) : undefined;
    const dirs: Dirs = {
      uploadDir: join(dir, 'uploads'),
      outputDir: join(dir, 'variants'),
      pgliteDir: join(dir, 'pglite'),
      databaseUrl,
    };
    const { server, url } = await spawnOrigin(dirs, { label: 'seed' });
    try {
      const record = await uploadImage(url, jpeg, 'image/jpeg');
      if (!record.created) throw new Error('upload: the seed image was already there');
      log(
        `  origin seeded (${ORIGIN_DB}, ${ORIGIN_RUNNER}): image ${record.id} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      return { dir, databaseUrl, imageId: record.id, sha256: record.sha256 };
    } finally {
      await server.stop();
    }
  })();
  return seeding;
}

export interface Origin {
  url: string;
  pid: number;
  server: Server;
  imageId: string;
  /** SHA-256 of the corpus JPEG: the original's content address (e.g. its key in a bucket). */
  sha256: string;
  /** Authorization for /internal/v1/variants (what the edge sends). */
  headers: Record<string, string>;
  /** The variant URL the edge requests for these options (and, for f=auto, this Accept header). */
  variantUrl(options: ImageOptions, accept?: string): string;
  /** Resident memory of the origin process now, MB. */
  rssMb(): number;
  stop(): Promise<void>;
}

/** A fresh origin (own copy of the seed data, empty variant cache) serving the corpus JPEG. */
export async function startOrigin(jpeg: Buffer, opts: OriginOptions): Promise<Origin> {
  const s = await seed(jpeg);
  const dir = await tempDir('origin-');
  const dirs: Dirs = {
    uploadDir: join(dir, 'uploads'),
    outputDir: join(dir, 'variants'),
    pgliteDir: join(dir, 'pglite'),
    databaseUrl: s.databaseUrl,
  };
  await cp(join(s.dir, 'uploads'), dirs.uploadDir, { recursive: true });
  if (!s.databaseUrl) await cp(join(s.dir, 'pglite'), dirs.pgliteDir, { recursive: true });
  const { server, url } = await spawnOrigin(dirs, opts);
  return {
    url,
    pid: server.pid,
    server,
    imageId: s.imageId,
    sha256: s.sha256,
    headers: { authorization: `Bearer ${ORIGIN_AUTH_TOKEN}` },
    variantUrl(options, accept) {
      const canonical = canonicalize(options);
      const path = canonical === '' ? s.imageId : `${canonical}/${s.imageId}`;
      return `${url}/internal/v1/variants/${path}${formatQuery(requestFormat(options, accept))}`;
    },
    rssMb: () => rssMb(server.pid),
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resident set size of a process now, MB (0 when gone). */
/** `pid` and its child processes (the origin's AVIF encoders), from /proc; [pid] where unreadable. */
export function withChildren(pid: number): number[] {
  try {
    const children = readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number),
    );
    return [pid, ...children];
  } catch {
    return [pid];
  }
}

export function rssMb(pid: number): number {
  try {
    return (Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096) / 1024 / 1024;
  } catch {
    return 0;
  }
}

/** A throwaway database on the BENCH_DATABASE_URL server, dropped when the run ends. */
async function createDatabase(serverUrl: string): Promise<string> {
  const db = await createThrowawayDatabase(serverUrl, `imgedge_bench_${process.pid}`);
  let dropped = false;
  process.on('beforeExit', () => {
    if (dropped) return;
    dropped = true;
    db.drop().catch((err: unknown) => log(`could not drop database ${db.name}: ${err}`));
  });
  return db.url;
}

/** One GET, fully read; status, body and the headers a case checks. */
export async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer; headers: Headers }> {
  const res = await fetch(url, { headers });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, body, headers: res.headers };
}

/** Upload through the API of the origin at `url` with a token signed by SECRET_KEY. */
export async function uploadImage(
  url: string,
  bytes: Uint8Array,
  contentType: string,
): Promise<{ id: string; sha256: string; created: boolean }> {
  const token = await new SignJWT({ scope: 'images:write images:read' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('imgedge')
    .setAudience('imgedge-api')
    .setSubject('bench')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET_KEY));
  const res = await fetch(`${url}/api/v1/images`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body: bytes,
  });
  const text = await res.text();
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`upload: HTTP ${res.status} ${text.slice(0, 300)}`);
  const record = JSON.parse(text) as { id: string; sha256: string };
  return { ...record, created: res.status === 201 };
}
