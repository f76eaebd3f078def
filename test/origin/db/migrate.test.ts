import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectDb } from '../../../origin/db/connect.js';
import type { Db } from '../../../origin/db/driver.js';
import { appliedVersions, migrate } from '../../../origin/db/migrate.js';
import { MIGRATIONS, type Migration } from '../../../origin/db/migrations/index.js';
import { describeDb, itRealPostgres, openTestDb, type TestDb } from '../../support/db.js';

const run = promisify(execFile);
const ALL = MIGRATIONS.map((m) => m.version);

async function tables(db: Db): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    `select table_name as name from information_schema.tables
     where table_schema = current_schema() order by table_name`,
  );
  return rows.map((r) => r.name);
}

describeDb('migrations', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb();
  });
  afterAll(() => t?.close());

  it('apply on an empty database and are recorded', async () => {
    expect(await appliedVersions(t.db)).toEqual([]);
    expect(await migrate(t.db)).toEqual(ALL);
    expect(await appliedVersions(t.db)).toEqual(ALL);
    expect(await tables(t.db)).toEqual(['images', 'oauth_clients', 'schema_migrations', 'source_cache']);
    const [row] = await t.db.query<{ applied_at: Date }>('select applied_at from schema_migrations');
    expect(row!.applied_at).toBeInstanceOf(Date);
  });

  it('re-apply as a no-op', async () => {
    expect(await migrate(t.db)).toEqual([]);
    expect(await migrate(t.db)).toEqual([]);
    expect(await appliedVersions(t.db)).toEqual(ALL);
  });

  it('create the live-row unique index and the listing index', async () => {
    const rows = await t.db.query<{ indexname: string; indexdef: string }>(
      `select indexname, indexdef from pg_indexes where schemaname = current_schema() and tablename = 'images'`,
    );
    const defs = Object.fromEntries(rows.map((r) => [r.indexname, r.indexdef]));
    expect(defs.images_owner_sha256_live).toMatch(
      /UNIQUE INDEX .* \(owner, sha256\) WHERE \(deleted_at IS NULL\)/,
    );
    expect(defs.images_owner_created_live).toMatch(
      /\(owner, created_at DESC, id DESC\) WHERE \(deleted_at IS NULL\)/,
    );
  });

  it('run concurrent migrators of one database once each (same handle)', async () => {
    const extra: Migration = {
      version: '9001_concurrent_same_handle',
      statements: ['create table m9001 (x int)'],
    };
    const results = await Promise.all([1, 2, 3].map(() => migrate(t.db, [...MIGRATIONS, extra])));
    expect(results.flat()).toEqual(['9001_concurrent_same_handle']);
  });

  it('roll back a failing migration whole and release the lock', async () => {
    const broken: Migration = {
      version: '9002_broken',
      statements: ['create table m9002 (x int)', 'select * from no_such_table'],
    };
    await expect(migrate(t.db, [...MIGRATIONS, broken])).rejects.toThrow(/no_such_table/);
    expect(await tables(t.db)).not.toContain('m9002');
    expect(await appliedVersions(t.db)).not.toContain('9002_broken');
    // The lock was released: a later run gets through and applies the fixed version.
    const fixed: Migration = { version: '9002_broken', statements: ['create table m9002 (x int)'] };
    expect(await migrate(t.db, [...MIGRATIONS, fixed])).toEqual(['9002_broken']);
  });

  it('refuse a migration list out of order', async () => {
    const a: Migration = { version: '9100_b', statements: [] };
    const b: Migration = { version: '9099_a', statements: [] };
    await expect(migrate(t.db, [a, b])).rejects.toThrow(/out of order/);
  });

  it('enforce the cheap check constraints', async () => {
    const insert = (over: Record<string, unknown>) => {
      const row = { id: 'c1', owner: 'o', sha256: 'a'.repeat(64), bytes: 1, width: 1, height: 1, ...over };
      return t.db.query(
        `insert into images (id, owner, sha256, bytes, width, height, format, has_alpha)
         values ($1, $2, $3, $4, $5, $6, 'png', false)`,
        [row.id, row.owner, row.sha256, row.bytes, row.width, row.height],
      );
    };
    for (const bad of [
      { sha256: 'A'.repeat(64) },
      { sha256: 'abc' },
      { bytes: 0 },
      { width: 0 },
      { height: -1 },
    ]) {
      await expect(insert(bad), JSON.stringify(bad)).rejects.toMatchObject({ code: '23514' });
    }
  });

  itRealPostgres('let separate pools race: each version applied once, nobody fails', async () => {
    const fresh = await openTestDb();
    const pools = await Promise.all(
      [1, 2, 3, 4, 5].map(() => connectDb({ databaseUrl: fresh.url!, maxConnections: 2 })),
    );
    try {
      // A slow migration widens the window in which a second migrator could slip in.
      const slow: Migration = {
        version: '9003_slow',
        statements: ['create table m9003 (x int)', 'select pg_sleep(0.3)'],
      };
      const results = await Promise.all(pools.map((db) => migrate(db, [...MIGRATIONS, slow])));
      expect(results.flat().sort()).toEqual([...ALL, '9003_slow'].sort());
      expect(await appliedVersions(fresh.db)).toEqual([...ALL, '9003_slow']);
    } finally {
      await Promise.all(pools.map((db) => db.close()));
      await fresh.close();
    }
  });

  itRealPostgres('let two OS processes race: both succeed, the migration is applied once', async () => {
    const fresh = await openTestDb();
    try {
      const child = fileURLToPath(new URL('./fixtures/migrate-child.ts', import.meta.url));
      const outputs = await Promise.all(
        [1, 2].map(() => run(process.execPath, ['--import', 'tsx', child, fresh.url!], { timeout: 20_000 })),
      );
      const applied = outputs.map((o) => JSON.parse(o.stdout) as string[]);
      expect(applied.flat()).toEqual(ALL);
      expect(applied.filter((a) => a.length === 0)).toHaveLength(1);
      expect(await appliedVersions(fresh.db)).toEqual(ALL);
    } finally {
      await fresh.close();
    }
  });
});
