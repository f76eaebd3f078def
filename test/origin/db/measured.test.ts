/**
 * measuredDb on the real test database: every statement timed, every database failure counted
 * once by SQLSTATE class, and errors the caller's own code throws inside a transaction or a
 * session not counted at all. A Postgres that refuses connections counts as class `none`.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Db } from '../../../origin/db/driver.js';
import { measuredDb } from '../../../origin/db/measured.js';
import { openPostgres } from '../../../origin/db/postgres.js';
import { createMetrics, type Metrics } from '../../../origin/observability/metrics.js';
import { describeDb, openTestDb, type TestDb } from '../../support/db.js';

async function errors(metrics: Metrics): Promise<Record<string, number>> {
  const { values } = await metrics.databaseErrors.get();
  return Object.fromEntries(values.map((v) => [String(v.labels.sqlstate_class), v.value]));
}

async function statements(metrics: Metrics): Promise<number> {
  const { values } = await metrics.databaseDuration.get();
  return values.find((v) => v.metricName === 'imgedge_database_query_duration_seconds_count')?.value ?? 0;
}

describeDb('measuredDb', () => {
  let t: TestDb;
  let metrics: Metrics;
  let db: Db;

  beforeAll(async () => {
    t = await openTestDb();
    metrics = createMetrics();
    db = measuredDb(t.db, metrics);
    await db.query('create table m (k text primary key)');
  });
  afterAll(() => t?.close());

  it('times every statement, failed ones too, and counts failures by SQLSTATE class', async () => {
    const before = await statements(metrics);
    await db.query('insert into m values ($1)', ['a']);
    await db.ping();
    await expect(db.query('insert into m values ($1)', ['a'])).rejects.toThrow();
    await expect(db.query('select * from no_such_table')).rejects.toThrow();
    expect(await statements(metrics)).toBe(before + 4);
    expect(await errors(metrics)).toEqual({ '23': 1, '42': 1 });
  });

  it("a transaction: a failing statement counts once; the caller's own error not at all", async () => {
    const before = await errors(metrics);
    await expect(
      db.transaction(async (tx) => {
        await tx.query('insert into m values ($1)', ['b']);
        throw new Error('not found, decided by the caller');
      }),
    ).rejects.toThrow('not found');
    expect(await errors(metrics)).toEqual(before);
    await expect(
      db.transaction(async (tx) => {
        await tx.query('select 1 from no_such_table');
      }),
    ).rejects.toThrow();
    // Nested (a savepoint) and a session: the same rule.
    await expect(
      db.transaction((tx) =>
        tx.transaction(async (inner) => {
          await inner.query('select 1 from no_such_table');
        }),
      ),
    ).rejects.toThrow();
    await expect(
      db.withSession(async () => {
        throw new Error('mine');
      }),
    ).rejects.toThrow('mine');
    expect(await errors(metrics)).toEqual({ ...before, '42': (before['42'] ?? 0) + 2 });
    // Nothing of the failed transactions was kept.
    expect(await db.query('select k from m order by k')).toEqual([{ k: 'a' }]);
  });

  it('a server that refuses connections: class none', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as { port: number };
    await new Promise<void>((r) => closed.close(() => r()));
    const refused = measuredDb(
      openPostgres(`postgres://postgres@127.0.0.1:${port}/x`, { connectTimeoutSeconds: 2 }),
      metrics,
    );
    try {
      const before = (await errors(metrics)).none ?? 0;
      await expect(refused.query('select 1')).rejects.toThrow();
      await expect(refused.transaction(async () => {})).rejects.toThrow();
      await expect(refused.ping(1000)).rejects.toThrow();
      expect((await errors(metrics)).none).toBe(before + 3);
    } finally {
      await refused.close();
    }
  });
});
