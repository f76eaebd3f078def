/**
 * Process-level test helpers: run the real entry points (`origin/main.ts`, `origin/cli/client.ts`)
 * as child processes with `node --import tsx`, each with an isolated database and folders.
 *
 * Children get a minimal environment (PATH, HOME and what the test passes): nothing of the
 * test runner's own environment (DATABASE_URL, REDIS_URL, NODE_OPTIONS…) leaks into them.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasExited, spawnChild, terminate } from '../../scripts/lib/process.js';
import { createThrowawayDatabase } from '../../scripts/lib/throwaway-db.js';
import { testDbKind } from './db.js';
import { originEnv } from './origin.js';

export { originEnv };

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function childEnv(env: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  if (process.env.HOME) base.HOME = process.env.HOME;
  return { ...base, ...env };
}

// ---------------------------------------------------------------------------------------------
// Databases

export interface IsolatedDatabase {
  kind: 'postgres' | 'pglite';
  /** DATABASE_URL (a database of its own on the real server) or PGLITE_DIR (a fresh folder). */
  env: Record<string, string>;
  /** Postgres only: the database's URL and name. */
  url?: string;
  name?: string;
  close(): Promise<void>;
}

/**
 * Admin URL of the real Postgres server (TEST_DATABASE_URL), or undefined when there is none.
 * Set even on an IMGEDGE_TEST_DB=pglite run when the server exists: cases that need a server of
 * their own (a database behind a TCP proxy) use it whatever backend the rest of the run uses.
 */
export function adminUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL || undefined;
}

/** A database of its own on the real server: `create database imgedge_ops_<random>`. */
export async function createPostgresDatabase(): Promise<IsolatedDatabase & { url: string; name: string }> {
  const admin = adminUrl();
  if (!admin) throw new Error('createPostgresDatabase needs TEST_DATABASE_URL');
  const db = await createThrowawayDatabase(admin, 'imgedge_ops');
  return { kind: 'postgres', env: { DATABASE_URL: db.url }, url: db.url, name: db.name, close: db.drop };
}

/** The backend of this run: a fresh real-Postgres database, or a fresh PGLITE_DIR. */
export async function isolatedDatabase(): Promise<IsolatedDatabase> {
  if (testDbKind === 'postgres') return createPostgresDatabase();
  const dir = await mkdtemp(join(tmpdir(), 'imgedge-ops-pglite-'));
  return {
    kind: 'pglite',
    env: { PGLITE_DIR: dir },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

// ---------------------------------------------------------------------------------------------
// Running an entry point to completion

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node --import tsx <script> ...args` to completion (killed after `timeoutMs`). */
export function runEntry(
  script: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<Finished> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnChild(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: REPO_ROOT,
      env: childEnv(env),
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

/** The client CLI (`npm run client -- …`). */
export function runClientCli(args: string[], env: Record<string, string>): Promise<Finished> {
  return runEntry('origin/cli/client.ts', args, env);
}

/** Creates an OAuth client with the real CLI and returns what it printed. */
export async function cliCreateClient(
  env: Record<string, string>,
  name = 'ops-test',
  scopes = 'images:read,images:write',
): Promise<{ client_id: string; client_secret: string; name: string; scopes: string[] }> {
  const run = await runClientCli(['create', '--name', name, '--scopes', scopes], env);
  if (run.code !== 0) throw new Error(`client create exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

// ---------------------------------------------------------------------------------------------
// A running origin process

export interface OriginProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  port: number;
  api: string;
  /** Every JSON line the process wrote to stdout so far. */
  logs: Record<string, unknown>[];
  stdout(): string;
  stderr(): string;
  /** Settles when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log line (past or future) that matches; rejects after `timeoutMs`. */
  waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Cleanup: SIGKILL if still running, and wait for the exit. */
  kill(): Promise<void>;
}

/** Starts `origin/main.ts` and resolves once it logged "origin listening" (rejects if it exits first). */
export async function spawnOrigin(
  env: Record<string, string>,
  startTimeoutMs = 45_000,
): Promise<OriginProcess> {
  const child = spawnChild(process.execPath, ['--import', 'tsx', 'origin/main.ts'], {
    cwd: REPO_ROOT,
    env: childEnv(env),
  });
  const logs: Record<string, unknown>[] = [];
  let stdout = '';
  let stderr = '';
  let partial = '';
  const waiters = new Set<{
    match: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }>();
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const text of lines) {
      if (!text.trim()) continue;
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text);
      } catch {
        continue;
      }
      logs.push(line);
      for (const w of waiters) {
        if (w.match(line)) {
          waiters.delete(w);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.once('close', (code, signal) => {
      res({ code, signal });
    });
  });

  const waitForLog = (match: (l: Record<string, unknown>) => boolean, timeoutMs = 30_000) => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<Record<string, unknown>>((res, rej) => {
      const waiter = {
        match,
        resolve: (l: Record<string, unknown>) => {
          clearTimeout(timer);
          res(l);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        rej(new Error(`log line not seen within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`));
      }, timeoutMs);
      waiters.add(waiter);
      void exited.then(({ code, signal }) => {
        if (!waiters.has(waiter)) return;
        waiters.delete(waiter);
        clearTimeout(timer);
        rej(
          new Error(`origin exited (code ${code}, signal ${signal}) first; stderr: ${stderr.slice(-2000)}`),
        );
      });
    });
  };

  const kill = async () => {
    if (!hasExited(child)) await terminate(child, 0);
    await exited;
  };

  let listening: Record<string, unknown>;
  try {
    listening = await waitForLog((l) => l.msg === 'origin listening', startTimeoutMs);
  } catch (err) {
    await kill();
    throw err;
  }
  const url = String(listening.url);
  return {
    child,
    pid: child.pid!,
    url,
    port: Number(new URL(url).port),
    api: `${url}${String(listening.prefix ?? '/api/v1')}`,
    logs,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForLog,
    kill,
  };
}

/** A token from the token endpoint (form body) for a client's id and secret. */
export async function fetchToken(api: string, clientId: string, clientSecret: string): Promise<Response> {
  return fetch(`${api}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    }),
  });
}

/** Fresh upload/output folders under one temp base (removed by `remove()`). */
export async function tempDirs(): Promise<{
  base: string;
  upload: string;
  output: string;
  remove(): Promise<void>;
}> {
  const base = await mkdtemp(join(tmpdir(), 'imgedge-ops-'));
  return {
    base,
    upload: join(base, 'uploads'),
    output: join(base, 'variants'),
    remove: () => rm(base, { recursive: true, force: true }),
  };
}
