/**
 * Start a real origin (the production composition) on an ephemeral port, against the test
 * database, with its own upload/variant folders, and helpers to talk to it over real HTTP.
 * IMGEDGE_TEST_STORAGE=s3 keeps originals in a real S3-protocol server (s3rver, one per origin)
 * instead of the local folder (`npm run test:s3`); tests look at stored originals through
 * `origin.originals`, whichever the backend.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { SignJWT } from 'jose';
import { createClient } from '../../origin/auth/clients.js';
import { type Config, loadConfig } from '../../origin/config/load.js';
import type { Db } from '../../origin/db/driver.js';
import { createLogger } from '../../origin/observability/logger.js';
import { type RunningServer, startServer } from '../../origin/server.js';
import { createOriginalStore } from '../../origin/storage/create.js';
import type { OriginalStore } from '../../origin/storage/originals.js';
import { openTestDb } from './db.js';
import { scrapeMetric } from './metrics.js';
import { clientToken } from './oauth.js';
import { startS3, type TestS3 } from './s3.js';

export type TestStorageKind = 'local' | 's3';

function resolveStorage(): TestStorageKind {
  const forced = process.env.IMGEDGE_TEST_STORAGE;
  if (forced === undefined || forced === '' || forced === 'local') return 'local';
  if (forced === 's3') return 's3';
  throw new Error(`IMGEDGE_TEST_STORAGE must be local or s3, not ${forced}`);
}

/** Where test origins keep originals. */
export const testStorageKind: TestStorageKind = resolveStorage();

export const TEST_SECRET_KEY = 'test-secret-key-test-secret-key-0123456789';
export const TEST_ORIGIN_TOKEN = 'test-origin-token-test-origin-token-0123456789';

export interface TestOrigin {
  url: string;
  api: string;
  config: Config;
  server: RunningServer;
  db: Db;
  dirs: { upload: string; output: string };
  /** The origin's originals, seen through a second store on the same backend (local folder or bucket). */
  originals: OriginalStore;
  /** The S3 server this origin uses, when IMGEDGE_TEST_STORAGE=s3 started one for it. */
  s3: TestS3 | undefined;
  /** Every JSON log line the origin wrote. */
  logs: Record<string, unknown>[];
  newClient(scopes?: string[]): Promise<{ client_id: string; client_secret: string }>;
  /** A real token from the token endpoint, for a fresh client with these scopes. */
  token(scopes?: string[]): Promise<string>;
  /** A token signed directly with the origin's secret (for crafted claims). */
  craftToken(
    claims: Record<string, unknown>,
    opts?: { alg?: string; key?: Uint8Array; expiresIn?: string },
  ): Promise<string>;
  upload(body: Uint8Array, token: string, contentType?: string): Promise<Response>;
  variant(path: string, query?: string, headers?: Record<string, string>): Promise<Response>;
  /** The value of a Prometheus series in /metrics (sum over matching label sets). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

/** Minimal valid environment of an origin (secrets, loopback, ephemeral port, its folders). */
export function originEnv(dirs: { upload: string; output: string }, extra: Record<string, string> = {}) {
  return {
    SECRET_KEY: TEST_SECRET_KEY,
    ORIGIN_AUTH_TOKEN: TEST_ORIGIN_TOKEN,
    API_HOST: '127.0.0.1',
    API_PORT: '0',
    UPLOAD_DIR: dirs.upload,
    OUTPUT_DIR: dirs.output,
    LOG_LEVEL: 'info',
    ...extra,
  };
}

export async function startTestOrigin(env: Record<string, string> = {}): Promise<TestOrigin> {
  const base = await mkdtemp(join(tmpdir(), 'imgedge-origin-'));
  const dirs = { upload: join(base, 'uploads'), output: join(base, 'variants') };
  const s3 = testStorageKind === 's3' && !env.S3_BUCKET ? await startS3() : undefined;
  const config = loadConfig(
    originEnv(dirs, { LOG_LEVEL: 'debug', SHUTDOWN_TIMEOUT_MS: '2000', ...s3?.env, ...env }),
  );
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const testDb = await openTestDb();
  let server: RunningServer;
  try {
    server = await startServer(config, createLogger({ level: 'debug', destination: sink }), {
      db: testDb.db,
    });
  } catch (err) {
    await testDb.close();
    await s3?.destroy();
    await rm(base, { recursive: true, force: true });
    throw err;
  }
  const url = server.url;
  const api = `${url}${config.apiPrefix}`;

  const origin: TestOrigin = {
    url,
    api,
    config,
    server,
    db: testDb.db,
    dirs,
    // The bucket or folder itself, not the origin's cache of originals.
    originals: createOriginalStore({ ...config, originalCacheBytes: 0 }),
    s3,
    logs,
    newClient: (scopes = ['images:read', 'images:write']) => createClient(testDb.db, 'test', scopes),
    async token(scopes) {
      return clientToken(api, await origin.newClient(scopes));
    },
    craftToken(claims, opts = {}) {
      const jwt = new SignJWT({ scope: 'images:read images:write', ...claims })
        .setProtectedHeader({ alg: opts.alg ?? 'HS256' })
        .setIssuedAt()
        .setExpirationTime(opts.expiresIn ?? '5m');
      if (!('iss' in claims)) jwt.setIssuer(config.jwt.issuer);
      if (!('aud' in claims)) jwt.setAudience(config.jwt.audience);
      if (!('sub' in claims)) jwt.setSubject('crafted-client');
      return jwt.sign(opts.key ?? new TextEncoder().encode(TEST_SECRET_KEY));
    },
    upload(body, token, contentType = 'image/jpeg') {
      return fetch(`${api}/images`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
        body,
      });
    },
    variant(path, query, headers = {}) {
      return fetch(`${url}/internal/v1/variants/${path}${query ? `?${query}` : ''}`, {
        headers: { authorization: `Bearer ${TEST_ORIGIN_TOKEN}`, ...headers },
      });
    },
    metric: (name, labels = {}) => scrapeMetric(url, name, labels),
    async close() {
      await server.shutdown();
      await testDb.close();
      await s3?.destroy();
      await rm(base, { recursive: true, force: true });
    },
  };
  return origin;
}
