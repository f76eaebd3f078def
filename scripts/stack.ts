/**
 * The local stack: the origin (Node) and the worker (wrangler dev / workerd), wired together from
 * one configuration. Used by `npm start` (scripts/dev.ts) and by the end-to-end tests.
 *
 * Configuration: process env, then `.env`, then embedded defaults. Secrets that are not given are
 * generated once and kept in DATA_DIR/dev-secrets.json, so tokens and signed URLs survive restarts.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { EDGE_VARIABLES, type EdgeBindings, EdgeConfigError, parseEdgeConfig } from '../edge/config.js';
import { authenticateClient, createClient } from '../origin/auth/clients.js';
import { type Config, ConfigError, loadConfig } from '../origin/config/load.js';
import { connectDb } from '../origin/db/connect.js';
import { DirLockedError } from '../origin/db/dir-lock.js';
import { migrate } from '../origin/db/migrate.js';
import { ensureConsoleBuilt } from './lib/console-build.js';
import { StartupError, spawnChild, terminate, waitForHealthy } from './lib/process.js';

export const ROOT = resolve(import.meta.dirname, '..');
/** Where `npm start` keeps its data when not told otherwise. */
export const DEFAULT_DATA_DIR = join(ROOT, 'data');

export interface StackOptions {
  /** Extra/overriding variables (tests). */
  env?: Record<string, string>;
  /** Where origin data, dev secrets and the dev client live. Default ./data. */
  dataDir?: string;
  /** Read `.env` in the project root. Default true. */
  useDotEnv?: boolean;
  /** Origin log lines: 'pretty' (default for humans), 'json', or 'silent'. */
  logs?: 'pretty' | 'json' | 'silent';
  /**
   * Receives the worker's output (wrangler dev's stdout and stderr: its per-request JSON log lines)
   * instead of the terminal (tests). Without it the output is the terminal's, unless logs is 'silent'.
   */
  onWorkerOutput?: (text: string) => void;
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
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  await mkdir(dataDir, { recursive: true });
  const env = await resolveEnv(dataDir, options);
  const originUrl = `http://127.0.0.1:${env.API_PORT}`;
  const { config, edge } = checkConfig(env, originUrl);
  const edgeEnv = dotEnvText(edge);
  const originPort = Number(env.API_PORT);
  const edgePort = Number(env.EDGE_PORT);
  await assertPortFree(originPort, 'API_PORT');
  await assertPortFree(edgePort, 'EDGE_PORT');

  const { client, created } = await ensureDevClient(dataDir, config.database);
  const { onWorkerOutput } = options;
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.reverse().map((child) => terminate(child)));
  };
  try {
    const origin = spawnChild(process.execPath, ['--import', 'tsx', join(ROOT, 'origin/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    children.push(origin);
    await pipeOriginLogs(origin, options.logs ?? 'pretty');
    await healthy(`${originUrl}/health/live`, origin, 'origin', 60_000);

    // wrangler.toml's [assets] directory: the web console, built when its sources changed.
    await ensureConsoleBuilt();
    const edgeEnvFile = join(dataDir, 'edge.env');
    await writeFile(edgeEnvFile, edgeEnv, { mode: 0o600 });
    await chmod(edgeEnvFile, 0o600);
    const wrangler = spawnChild(
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
        // 'log' shows the worker's console.log (its per-request line); 'info' would hide it.
        '--log-level',
        options.logs === 'silent' && !onWorkerOutput ? 'error' : 'log',
      ],
      {
        cwd: ROOT,
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
        stdio: onWorkerOutput
          ? ['ignore', 'pipe', 'pipe']
          : ['ignore', options.logs === 'silent' ? 'ignore' : 'inherit', 'inherit'],
      },
    );
    children.push(wrangler);
    if (onWorkerOutput) {
      for (const stream of [wrangler.stdout, wrangler.stderr]) {
        stream?.setEncoding('utf8').on('data', onWorkerOutput);
      }
    }
    const edgeUrl = `http://127.0.0.1:${edgePort}`;
    await healthy(`${edgeUrl}/health`, wrangler, 'worker (wrangler dev)', 90_000);
    return { edgeUrl, originUrl, env, client, clientCreated: created, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * The stack's variables: options.env, then the process env, then `.env`, then defaults and the
 * dev secrets in dataDir. The one resolution `npm start` and `npm run smoke` share. With
 * `readOnly`, missing dev secrets are left unset instead of generated (the smoke test, `npm run
 * sign`). `root` is where `.env` is read (default: the project root).
 */
export async function resolveEnv(
  dataDir: string,
  options: Pick<StackOptions, 'env' | 'useDotEnv'> & { readOnly?: boolean; root?: string } = {},
): Promise<Record<string, string>> {
  const dotEnvPath = join(options.root ?? ROOT, '.env');
  const dotEnv =
    options.useDotEnv !== false && existsSync(dotEnvPath) ? parseEnv(readFileSync(dotEnvPath, 'utf8')) : {};
  const secretsPath = join(dataDir, 'dev-secrets.json');
  let secrets: Record<string, string> = {};
  try {
    secrets = JSON.parse(await readFile(secretsPath, 'utf8')) as Record<string, string>;
  } catch {
    if (!options.readOnly) {
      const make = () => randomBytes(32).toString('base64url');
      secrets = { SECRET_KEY: make(), ORIGIN_AUTH_TOKEN: make(), SIGNING_KEY: make() };
      await writeFile(secretsPath, JSON.stringify(secrets, null, 2), { mode: 0o600 });
    }
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

/**
 * Both tiers' configuration, validated before anything starts: the origin's with loadConfig, the
 * worker's with its own parseEdgeConfig. Every problem is one `VARIABLE message` in one line.
 */
export function checkConfig(
  env: Record<string, string>,
  originUrl: string,
  /** The worker's ORIGIN_URL list when it is not just `originUrl` (the cluster's replicas). */
  edgeOrigins: readonly string[] = [originUrl],
): { config: Config; edge: EdgeBindings } {
  const problems: string[] = [];
  let config: Config | undefined;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems.map((p) => `${p.variable} ${p.message}`));
  }
  const edge = edgeBindings(env, originUrl, edgeOrigins);
  try {
    parseEdgeConfig(edge);
  } catch (err) {
    if (!(err instanceof EdgeConfigError)) throw err;
    problems.push(...err.problems);
  }
  if (problems.length > 0 || !config) throw new StackError([...new Set(problems)].join('; '));
  return { config, edge };
}

/**
 * The worker's variables, from the same configuration as the origin: every variable the worker's
 * schema names (EDGE_VARIABLES) that is set, and what the stack decides (the local origins, how the
 * worker verifies the origin's tokens — through `originUrl` —, the environment's name).
 */
function edgeBindings(
  env: Record<string, string>,
  originUrl: string,
  edgeOrigins: readonly string[],
): EdgeBindings {
  const set = EDGE_VARIABLES.filter((name) => env[name] !== undefined).map((name) => [name, env[name]]);
  return {
    ...(Object.fromEntries(set) as EdgeBindings),
    ORIGIN_URL: edgeOrigins.join(','),
    JWT_SECRET: env.JWT_PRIVATE_JWK ? undefined : env.SECRET_KEY,
    JWKS_URL: env.JWT_PRIVATE_JWK ? `${originUrl}/.well-known/jwks.json` : undefined,
    ENVIRONMENT: 'development',
  };
}

/** The worker's variables as a dotenv file for `wrangler dev --env-file`. */
export function dotEnvText(vars: EdgeBindings): string {
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

export async function ensureDevClient(dataDir: string, database: Config['database']) {
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

export function assertPortFree(port: number, variable: string): Promise<void> {
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

/** waitForHealthy, its failure a StackError (one line for the user). */
export async function healthy(
  url: string,
  child: ChildProcess,
  name: string,
  timeoutMs: number,
): Promise<void> {
  try {
    await waitForHealthy(url, child, { name, timeoutMs });
  } catch (err) {
    throw err instanceof StartupError ? new StackError(err.message) : err;
  }
}
