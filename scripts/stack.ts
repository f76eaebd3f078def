/**
 * The local stack: the origin (Node) and the worker (wrangler dev / workerd), wired together from
 * one configuration. Used by `npm start` (scripts/dev.ts) and by the end-to-end tests.
 *
 * Configuration: process env, then `.env`, then embedded defaults. Secrets that are not given are
 * generated once and kept in DATA_DIR/dev-secrets.json, so tokens and signed URLs survive restarts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { authenticateClient, createClient } from '../origin/auth/clients.js';
import { type Config, ConfigError, loadConfig } from '../origin/config/load.js';
import { connectDb } from '../origin/db/connect.js';
import { DirLockedError } from '../origin/db/dir-lock.js';
import { migrate } from '../origin/db/migrate.js';

export const ROOT = resolve(import.meta.dirname, '..');

export interface StackOptions {
  /** Extra/overriding variables (tests). */
  env?: Record<string, string>;
  /** Where origin data, dev secrets and the dev client live. Default ./data. */
  dataDir?: string;
  /** Read `.env` in the project root. Default true. */
  useDotEnv?: boolean;
  /** Origin log lines: 'pretty' (default for humans), 'json', or 'silent'. */
  logs?: 'pretty' | 'json' | 'silent';
}

export interface DevClient {
  client_id: string;
  client_secret: string;
}

export interface Stack {
  edgeUrl: string;
  originUrl: string;
  env: Record<string, string>;
  client: DevClient;
  clientCreated: boolean;
  stop(): Promise<void>;
}

/** A one-line, user-facing problem (port in use, bad variable): no stack trace. */
export class StackError extends Error {}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dataDir = resolve(options.dataDir ?? join(ROOT, 'data'));
  await mkdir(dataDir, { recursive: true });
  const env = await resolveEnv(dataDir, options);
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new StackError(err.problems.map((p) => `${p.variable} ${p.message}`).join('; '));
    }
    throw err;
  }
  const originPort = Number(env.API_PORT);
  const edgePort = Number(env.EDGE_PORT);
  await assertPortFree(originPort, 'API_PORT');
  await assertPortFree(edgePort, 'EDGE_PORT');

  const { client, created } = await ensureDevClient(dataDir, config.database);
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.reverse().map((child) => terminate(child)));
  };
  try {
    const originUrl = `http://127.0.0.1:${originPort}`;
    const origin = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'origin/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(origin);
    await pipeOriginLogs(origin, options.logs ?? 'pretty');
    await waitForHealthy(`${originUrl}/health/live`, origin, 'origin', 60_000);

    const edgeEnvFile = join(dataDir, 'edge.env');
    await writeFile(edgeEnvFile, edgeVars(env, originUrl), { mode: 0o600 });
    await chmod(edgeEnvFile, 0o600);
    const wrangler = spawn(
      join(ROOT, 'node_modules/.bin/wrangler'),
      [
        'dev',
        '--ip',
        '127.0.0.1',
        '--port',
        String(edgePort),
        '--env-file',
        edgeEnvFile,
        '--persist-to',
        join(dataDir, 'wrangler-state'),
        '--show-interactive-dev-session=false',
        '--log-level',
        options.logs === 'silent' ? 'error' : 'info',
      ],
      {
        cwd: ROOT,
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
        stdio: ['ignore', options.logs === 'silent' ? 'ignore' : 'inherit', 'inherit'],
      },
    );
    children.push(wrangler);
    const edgeUrl = `http://127.0.0.1:${edgePort}`;
    await waitForHealthy(`${edgeUrl}/health`, wrangler, 'worker (wrangler dev)', 90_000);
    return { edgeUrl, originUrl, env, client, clientCreated: created, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function resolveEnv(dataDir: string, options: StackOptions): Promise<Record<string, string>> {
  const dotEnvPath = join(ROOT, '.env');
  const dotEnv =
    options.useDotEnv !== false && existsSync(dotEnvPath) ? parseEnv(readFileSync(dotEnvPath, 'utf8')) : {};
  const secretsPath = join(dataDir, 'dev-secrets.json');
  let secrets: Record<string, string>;
  try {
    secrets = JSON.parse(await readFile(secretsPath, 'utf8')) as Record<string, string>;
  } catch {
    const make = () => randomBytes(32).toString('base64url');
    secrets = { SECRET_KEY: make(), ORIGIN_AUTH_TOKEN: make(), SIGNING_KEY: make() };
    await writeFile(secretsPath, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  const defaults: Record<string, string> = {
    ...secrets,
    NODE_ENV: 'development',
    API_HOST: '127.0.0.1',
    API_PORT: '8004',
    EDGE_PORT: '8787',
    PGLITE_DIR: join(dataDir, 'pglite'),
    UPLOAD_DIR: join(dataDir, 'uploads'),
    OUTPUT_DIR: join(dataDir, 'variants'),
    SIGNED_URLS: 'presets-free',
  };
  const fromProcess = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''),
  );
  const env = { ...defaults, ...dotEnv, ...fromProcess, ...options.env } as Record<string, string>;
  // Image records link to the edge, where the images are served.
  env.PUBLIC_BASE_URL ??= `http://127.0.0.1:${env.EDGE_PORT}`;
  return env;
}

/** The worker's variables, from the same configuration as the origin. */
function edgeVars(env: Record<string, string>, originUrl: string): string {
  const vars: Record<string, string | undefined> = {
    ORIGIN_URL: originUrl,
    ORIGIN_AUTH_TOKEN: env.ORIGIN_AUTH_TOKEN,
    JWT_SECRET: env.JWT_PRIVATE_JWK ? undefined : env.SECRET_KEY,
    JWKS_URL: env.JWT_PRIVATE_JWK ? `${originUrl}/.well-known/jwks.json` : undefined,
    JWT_ISSUER: env.JWT_ISSUER,
    JWT_AUDIENCE: env.JWT_AUDIENCE,
    API_PREFIX: env.API_PREFIX,
    SIGNED_URLS: env.SIGNED_URLS,
    SIGNING_KEY: env.SIGNING_KEY,
    SIGNING_KEY_PREVIOUS: env.SIGNING_KEY_PREVIOUS,
    PRESETS: env.PRESETS,
    MAX_FILE_SIZE: env.MAX_FILE_SIZE,
    IMAGE_RATE_LIMIT: env.IMAGE_RATE_LIMIT,
    API_RATE_LIMIT: env.API_RATE_LIMIT,
    TOKEN_RATE_LIMIT: env.TOKEN_RATE_LIMIT,
    RATE_LIMIT_TIMEOUT_MS: env.RATE_LIMIT_TIMEOUT_MS,
    UPSTASH_REDIS_REST_URL: env.UPSTASH_REDIS_REST_URL,
    UPSTASH_REDIS_REST_TOKEN: env.UPSTASH_REDIS_REST_TOKEN,
    ORIGIN_TIMEOUT_MS: env.ORIGIN_TIMEOUT_MS,
    NOT_FOUND_TTL: env.NOT_FOUND_TTL,
    ENVIRONMENT: 'development',
  };
  return Object.entries(vars)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => {
      // Single quotes: dotenv takes the value literally (PRESETS is JSON with double quotes).
      if (v!.includes("'") || v!.includes('\n'))
        throw new StackError(`${k} may not contain a single quote or newline`);
      return `${k}='${v}'`;
    })
    .join('\n')
    .concat('\n');
}

async function ensureDevClient(dataDir: string, database: Config['database']) {
  const path = join(dataDir, 'dev-client.json');
  const db = await connectDb({
    databaseUrl: database.url,
    pgliteDir: database.pgliteDir,
    maxConnections: 1,
  }).catch((err: unknown) => {
    // Another process holds PGLITE_DIR (a second `npm start` on other ports, say): one line.
    throw err instanceof DirLockedError ? new StackError(err.message) : err;
  });
  try {
    await migrate(db);
    if (existsSync(path)) {
      const saved = JSON.parse(await readFile(path, 'utf8')) as DevClient;
      // Kept only while it still authenticates (not revoked, same secret, same database).
      if (await authenticateClient(db, saved.client_id, saved.client_secret))
        return { client: saved, created: false };
    }
    const made = await createClient(db, 'local-dev', ['images:read', 'images:write']);
    const client = { client_id: made.client_id, client_secret: made.client_secret };
    await writeFile(path, JSON.stringify(client, null, 2), { mode: 0o600 });
    return { client, created: true };
  } finally {
    await db.close();
  }
}

async function pipeOriginLogs(child: ChildProcess, mode: 'pretty' | 'json' | 'silent'): Promise<void> {
  if (mode === 'silent') {
    child.stdout?.resume();
    child.stderr?.resume();
    return;
  }
  child.stderr?.pipe(process.stderr);
  if (mode === 'json') {
    child.stdout?.pipe(process.stdout);
    return;
  }
  const { build } = await import('pino-pretty');
  child.stdout?.pipe(
    build({ colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service' }),
  );
}

function assertPortFree(port: number, variable: string): Promise<void> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new StackError(`port ${port} is already in use: stop what runs there or set ${variable}`)
          : err,
      );
    });
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolvePort()));
  });
}

async function waitForHealthy(
  url: string,
  child: ChildProcess,
  name: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new StackError(`${name} exited with code ${child.exitCode} during start-up`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new StackError(`${name} did not become healthy at ${url} within ${timeoutMs / 1000} s`);
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}
