/**
 * Databases for tests: the real Postgres at TEST_DATABASE_URL (a fresh schema per openTestDb, so
 * test files run in parallel; named imgedge_test_<unix time>_<pid>_<random>, dropped on close,
 * swept after an hour if a crashed run left it behind), else an in-memory PGlite.
 * IMGEDGE_TEST_DB=pglite forces PGlite even when TEST_DATABASE_URL is set (CI runs the origin
 * suite a second time that way).
 *
 * PGlite's initdb costs ≈4 s; every PGlite here starts from a gzip dump of a fresh cluster cached
 * in the OS temp dir (keyed by the PGlite version), which opens in well under a second.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import postgres from 'postgres';
import { describe, it } from 'vitest';
import { connectDb } from '../../origin/db/connect.js';
import type { Db, DbKind } from '../../origin/db/driver.js';
import { migrate } from '../../origin/db/migrate.js';
import { openPglite, type PgliteDatabase } from '../../origin/db/pglite.js';

export interface TestDb {
  db: Db;
  kind: DbKind;
  /** Postgres only: a URL whose connections land in this test's schema (`?search_path=`). */
  url?: string;
  /** Postgres only: the schema created for this test database. */
  schema?: string;
  close(): Promise<void>;
}

export interface OpenTestDbOptions {
  /** Apply the migrations before returning (default false: an empty database). */
  migrate?: boolean;
  /** Postgres pool size (default 10). */
  maxConnections?: number;
}

function resolveKind(): DbKind {
  const forced = process.env.IMGEDGE_TEST_DB;
  if (forced === 'pglite') return 'pglite';
  if (forced === 'postgres') {
    if (!process.env.TEST_DATABASE_URL) throw new Error('IMGEDGE_TEST_DB=postgres needs TEST_DATABASE_URL');
    return 'postgres';
  }
  if (forced) throw new Error(`IMGEDGE_TEST_DB must be pglite or postgres, not ${forced}`);
  return process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';
}

/** The backend these tests run on. */
export const testDbKind: DbKind = resolveKind();
export const onRealPostgres = testDbKind === 'postgres';

/** `describe` whose name says which backend ran it, e.g. `images [pglite]`. */
export function describeDb(name: string, fn: () => void): void {
  describe(`${name} [${testDbKind}]`, fn);
}

/** `it` for cases that need real Postgres (concurrency across sessions); skipped, and named so, on PGlite. */
export function itRealPostgres(name: string, fn: () => Promise<void>, timeout?: number): void {
  if (onRealPostgres) it(name, fn, timeout);
  else it.skip(`${name} — needs real Postgres (TEST_DATABASE_URL); skipped on PGlite`, fn);
}

export async function openTestDb(opts: OpenTestDbOptions = {}): Promise<TestDb> {
  const testDb = testDbKind === 'postgres' ? await openPostgresSchema(opts) : await openPgliteMemory();
  if (opts.migrate) {
    try {
      await migrate(testDb.db);
    } catch (err) {
      await testDb.close();
      throw err;
    }
  }
  return testDb;
}

const SCHEMA_PREFIX = 'imgedge_test_';
/** Schemas of test processes that died before close() are dropped after this long. */
const STALE_SCHEMA_SECONDS = 3600;
let sweptStale = false;

/** Drops test schemas left by crashed runs (their name carries the creation time). */
async function sweepStaleSchemas(admin: postgres.Sql): Promise<void> {
  if (sweptStale) return;
  sweptStale = true;
  const rows = await admin.unsafe<{ name: string }[]>(
    `select nspname as name from pg_namespace where nspname ~ '^${SCHEMA_PREFIX}[0-9]+_'`,
  );
  const cutoff = Math.floor(Date.now() / 1000) - STALE_SCHEMA_SECONDS;
  for (const { name } of rows) {
    const created = Number(name.slice(SCHEMA_PREFIX.length).split('_')[0]);
    if (created < cutoff) await admin.unsafe(`drop schema if exists ${name} cascade`).catch(() => {});
  }
}

async function openPostgresSchema(opts: OpenTestDbOptions): Promise<TestDb> {
  const base = process.env.TEST_DATABASE_URL!;
  const now = Math.floor(Date.now() / 1000);
  const schema = `${SCHEMA_PREFIX}${now}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await sweepStaleSchemas(admin);
    await admin.unsafe(`create schema ${schema}`);
  } catch (err) {
    await admin.end();
    throw err;
  }
  const db = await connectDb({
    databaseUrl: base,
    searchPath: schema,
    ...(opts.maxConnections === undefined ? {} : { maxConnections: opts.maxConnections }),
  });
  const url = new URL(base);
  url.searchParams.set('search_path', schema);
  let closed = false;
  return {
    db,
    kind: 'postgres',
    url: url.toString(),
    schema,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await db.close();
        await admin.unsafe(`drop schema if exists ${schema} cascade`);
      } finally {
        await admin.end();
      }
    },
  };
}

let templateBlob: Promise<Blob> | undefined;

/** A gzip dump of an empty, freshly initialised PGlite cluster (for `openPglite({ loadDataDir })`). */
function pgliteTemplate(): Promise<Blob> {
  templateBlob ??= readFile(templatePath()).then(
    (bytes) => new Blob([new Uint8Array(bytes)]),
    () => buildTemplate(),
  );
  return templateBlob;
}

/** Opens PGlite from the template; a truncated or foreign template file is rebuilt once. */
async function openPgliteFromTemplate(dataDir = 'memory://'): Promise<PgliteDatabase> {
  try {
    return await openPglite({ dataDir, loadDataDir: await pgliteTemplate() });
  } catch {
    templateBlob = buildTemplate();
    return openPglite({ dataDir, loadDataDir: await templateBlob });
  }
}

async function openPgliteMemory(): Promise<TestDb> {
  const db = await openPgliteFromTemplate();
  return { db, kind: 'pglite', close: () => db.close() };
}

function templatePath(): string {
  const require = createRequire(import.meta.url);
  const pkgPath = join(dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json');
  const { version } = require(pkgPath) as { version: string };
  return join(tmpdir(), `imgedge-pglite-template-${version}.tar.gz`);
}

/** A gzip dump of a freshly initialised cluster, made once per machine and PGlite version. */
async function buildTemplate(): Promise<Blob> {
  const fresh = await openPglite({ dataDir: 'memory://' });
  const blob = await fresh.dumpDataDir();
  await fresh.close();
  // Written aside and renamed: parallel test files never read a half-written template.
  const path = templatePath();
  const partial = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(partial, new Uint8Array(await blob.arrayBuffer()));
  await rename(partial, path).catch(() => rm(partial, { force: true }));
  return blob;
}
