/**
 * The local cluster (`npm run start:cluster`, `--replicas N`, default 3): an S3 server (s3rver, a
 * dev tool, unless S3_BUCKET points elsewhere), N origins on one shared Postgres (DATABASE_URL),
 * Redis when reachable, a round-robin proxy in front of them on API_PORT, and the worker (wrangler
 * dev) with every replica in its ORIGIN_URL list. Configuration as for `npm start` (scripts/stack.ts: env, `.env`,
 * defaults, dev secrets); its data lives in data/cluster. Also used by test/cluster.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { redisPing } from '../origin/ops/redis-ping.js';
import { ensureConsoleBuilt } from './lib/console-build.js';
import { freePort } from './lib/ports.js';
import { terminate } from './lib/process.js';
import { type RoundRobinProxy, startRoundRobin } from './lib/round-robin.js';
import { runUntilStopped } from './lib/run-until-stopped.js';
import {
  assertPortFree,
  checkConfig,
  type DevClient,
  dotEnvText,
  ensureDevClient,
  healthy,
  ROOT,
  resolveEnv,
  StackError,
} from './stack.js';

export const DEFAULT_CLUSTER_DIR = join(ROOT, 'data', 'cluster');
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const S3RVER_BUCKET = 'imgedge';

export interface ClusterOptions {
  replicas?: number;
  env?: Record<string, string>;
  dataDir?: string;
  useDotEnv?: boolean;
  logs?: 'pretty' | 'silent';
  /** Start the worker (wrangler dev) in front of the replicas. Default true. */
  worker?: boolean;
}

export interface Replica {
  name: string;
  url: string;
  port: number;
  /** The running process, if any. */
  child(): ChildProcess | undefined;
  /** The last lines of its stderr (for failure messages). */
  output(): string;
  /** Starts it (again) on the same port and waits until it is live. */
  start(): Promise<void>;
  /** SIGTERM (graceful), or SIGKILL with `{ kill: true }`; resolves once it has exited. */
  stop(opts?: { kill?: boolean }): Promise<void>;
}

export interface Cluster {
  replicas: Replica[];
  proxyUrl: string;
  edgeUrl: string | undefined;
  /** S3_* variables the replicas use; `s3rver` says whether this cluster started the server. */
  s3: { env: Record<string, string>; s3rver: boolean };
  /** REDIS_URL given to the replicas, or why there is none. */
  redis: { url: string } | { url: undefined; reason: string };
  env: Record<string, string>;
  client: DevClient;
  clientCreated: boolean;
  stop(): Promise<void>;
}

async function portOf(env: Record<string, string>, variable: string): Promise<number> {
  const port = Number(env[variable]);
  if (port === 0) return freePort();
  await assertPortFree(port, variable);
  return port;
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}

/** s3rver (a devDependency: cluster mode is a local mode) with one bucket, its data in `directory`. */
async function startS3rver(
  directory: string,
): Promise<{ env: Record<string, string>; close(): Promise<void> }> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const S3rver = createRequire(import.meta.url)('s3rver') as new (
    o: Record<string, unknown>,
  ) => S3rverInstance;
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    configureBuckets: [{ name: S3RVER_BUCKET }],
  });
  const { port } = await server.run();
  return {
    env: {
      S3_BUCKET: S3RVER_BUCKET,
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: '1',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
    },
    close: async () => {
      server.httpServer?.closeAllConnections();
      await server.close();
    },
  };
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const count = options.replicas ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new StackError('--replicas must be a whole number ≥ 1');
  const dataDir = resolve(options.dataDir ?? DEFAULT_CLUSTER_DIR);
  await mkdir(dataDir, { recursive: true });
  const env = await resolveEnv(dataDir, options);
  if (!env.DATABASE_URL) {
    throw new StackError(
      'cluster mode needs DATABASE_URL: the replicas share one Postgres (PGlite is one process’s database)',
    );
  }
  // API_PORT is the proxy's; replicas listen on the ports after it (ephemeral ones with API_PORT=0).
  const ephemeral = env.API_PORT === '0';
  const proxyPort = await portOf(env, 'API_PORT');
  const edgePort = options.worker === false ? 0 : await portOf(env, 'EDGE_PORT');
  env.API_PORT = String(proxyPort);
  env.EDGE_PORT = String(edgePort);
  if (!options.env?.PUBLIC_BASE_URL && !process.env.PUBLIC_BASE_URL)
    env.PUBLIC_BASE_URL = `http://127.0.0.1:${edgePort}`;
  const proxyUrl = `http://127.0.0.1:${proxyPort}`;

  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of stops.splice(0).reverse()) await fn().catch(() => {});
  };
  try {
    let s3rver = false;
    if (!env.S3_BUCKET) {
      const server = await startS3rver(join(dataDir, 's3'));
      stops.push(server.close);
      Object.assign(env, server.env);
      s3rver = true;
    }
    let redis: Cluster['redis'];
    if (env.REDIS_URL) redis = { url: env.REDIS_URL };
    else {
      try {
        await redisPing(DEFAULT_REDIS_URL, 1000);
        env.REDIS_URL = DEFAULT_REDIS_URL;
        redis = { url: DEFAULT_REDIS_URL };
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        redis = { url: undefined, reason: `no Redis at ${DEFAULT_REDIS_URL} (${why}); set REDIS_URL` };
      }
    }
    const ports: number[] = [];
    for (let i = 1; i <= count; i++) {
      const port = ephemeral ? await freePort() : proxyPort + i;
      if (!ephemeral) await assertPortFree(port, 'API_PORT');
      ports.push(port);
    }
    // The worker gets every replica (ORIGIN_URL list: its own failover and circuit breakers); the
    // proxy serves everyone else (direct API calls, the worker's JWKS with JWT_PRIVATE_JWK).
    const { config, edge } = checkConfig(
      env,
      proxyUrl,
      ports.map((port) => `http://127.0.0.1:${port}`),
    );
    // Migrates once, before any replica starts.
    const { client, created } = await ensureDevClient(dataDir, config.database);
    const replicas = await Promise.all(
      ports.map(async (port, i) => {
        const replica = makeReplica(`replica-${i + 1}`, port, env, dataDir, options.logs ?? 'pretty');
        stops.push(() => replica.stop());
        await replica.start();
        return replica;
      }),
    );
    const proxy: RoundRobinProxy = await startRoundRobin({
      targets: replicas.map((r) => r.url),
      port: proxyPort,
    });
    stops.push(proxy.close);

    let edgeUrl: string | undefined;
    if (options.worker !== false) {
      await ensureConsoleBuilt();
      const edgeEnvFile = join(dataDir, 'edge.env');
      await writeFile(edgeEnvFile, dotEnvText(edge), { mode: 0o600 });
      await chmod(edgeEnvFile, 0o600);
      const silent = options.logs === 'silent';
      const wrangler = spawn(
        join(ROOT, 'node_modules/.bin/wrangler'),
        [
          'dev',
          ...['--ip', '127.0.0.1', '--port', String(edgePort), '--env-file', edgeEnvFile],
          ...['--persist-to', join(dataDir, 'wrangler-state'), '--show-interactive-dev-session=false'],
          ...['--log-level', silent ? 'error' : 'log'],
        ],
        {
          cwd: ROOT,
          env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
          stdio: ['ignore', silent ? 'ignore' : 'inherit', silent ? 'pipe' : 'inherit'],
        },
      );
      let errors = '';
      wrangler.stderr?.setEncoding('utf8').on('data', (text: string) => {
        errors = (errors + text).slice(-2000);
      });
      stops.push(() => terminate(wrangler));
      edgeUrl = `http://127.0.0.1:${edgePort}`;
      await healthy(`${edgeUrl}/health`, wrangler, 'worker (wrangler dev)', 120_000).catch((err) => {
        throw new StackError(
          `${err instanceof Error ? err.message : String(err)}${errors ? `: ${errors}` : ''}`,
        );
      });
    }
    return {
      replicas,
      proxyUrl,
      edgeUrl,
      s3: { env: Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('S3_'))), s3rver },
      redis,
      env,
      client,
      clientCreated: created,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function makeReplica(
  name: string,
  port: number,
  env: Record<string, string>,
  dataDir: string,
  logs: 'pretty' | 'silent',
): Replica {
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let tail: string[] = [];
  const replicaEnv = {
    ...process.env,
    ...env,
    API_PORT: String(port),
    HOSTNAME: name,
    UPLOAD_DIR: join(dataDir, name, 'uploads'),
    OUTPUT_DIR: join(dataDir, name, 'variants'),
  };
  return {
    name,
    url,
    port,
    child: () => child,
    output: () => tail.join('\n'),
    async start() {
      if (child && child.exitCode === null && child.signalCode === null) return;
      tail = [];
      const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'origin/main.ts')], {
        cwd: ROOT,
        env: replicaEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = proc;
      proc.stderr?.setEncoding('utf8').on('data', (text: string) => {
        tail.push(...text.split('\n').filter(Boolean));
        tail.splice(0, Math.max(0, tail.length - 40));
        if (logs !== 'silent') process.stderr.write(text);
      });
      if (logs === 'silent') proc.stdout?.resume();
      else {
        const { build } = await import('pino-pretty');
        proc.stdout?.pipe(
          build({ colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,service' }),
        );
      }
      try {
        await healthy(`${url}/health/live`, proc, name, 90_000);
      } catch (err) {
        throw new StackError(
          `${err instanceof Error ? err.message : String(err)}: ${tail.slice(-3).join(' ')}`,
        );
      }
    },
    async stop(opts = {}) {
      const proc = child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      if (opts.kill) {
        const exited = new Promise((done) => proc.once('exit', done));
        proc.kill('SIGKILL');
        await exited;
      } else await terminate(proc);
    },
  };
}

function main(): Promise<void> {
  const { values } = parseArgs({ options: { replicas: { type: 'string', default: '3' } } });
  return runUntilStopped(
    async () => {
      const cluster = await startCluster({ replicas: Number(values.replicas) });
      return { ...cluster, edgeUrl: cluster.edgeUrl ?? cluster.proxyUrl };
    },
    ({ edgeUrl, proxyUrl, replicas, redis, s3, env }) => ({
      heading: [
        `imgedge cluster is up: ${edgeUrl}  (origins: the replicas; round-robin proxy ${proxyUrl})`,
        ...replicas.map((r) => `  ${r.name}  ${r.url}`),
        `  storage  ${s3.s3rver ? `s3rver ${env.S3_ENDPOINT} (data/cluster/s3)` : `bucket ${env.S3_BUCKET}`}`,
        `  redis    ${redis.url ?? `none: ${redis.reason}`}`,
      ],
      clientFile: 'data/cluster/dev-client.json',
      stops: 'everything',
    }),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
