import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Db, isUniqueViolation, sqlState } from '../../../origin/db/driver.js';
import { openPglite } from '../../../origin/db/pglite.js';
import { openPostgres } from '../../../origin/db/postgres.js';
import { describeDb, openTestDb, type TestDb, testDbKind } from '../../support/db.js';

describeDb('database driver', () => {
  let t: TestDb;
  let db: Db;

  beforeAll(async () => {
    t = await openTestDb();
    db = t.db;
    await db.query('create table kv (k text primary key, v bigint not null)');
  });
  afterAll(() => t?.close());

  it('reports its backend', () => {
    expect(db.kind).toBe(testDbKind);
  });

  it('runs $n parameters and maps types the same way on both backends', async () => {
    const [row] = await db.query<Record<string, unknown>>(
      `select $1::int8 as big, count(*) as n, $2::timestamptz as ts, $3::text[] as arr, $4::boolean as b,
              1.5::numeric as num, null::text as nothing, $5::int as small`,
      [5_000_000_000, '2026-01-02T03:04:05.678Z', ['a', 'b,c', 'd"e'], true, 42],
    );
    expect(row).toEqual({
      big: 5_000_000_000,
      n: 1,
      ts: new Date('2026-01-02T03:04:05.678Z'),
      arr: ['a', 'b,c', 'd"e'],
      b: true,
      num: '1.5',
      nothing: null,
      small: 42,
    });
  });

  it('refuses an int8 beyond the safe JS integer range instead of rounding it', async () => {
    await expect(db.query('select 9007199254740993::int8 as x')).rejects.toThrow(/safe JS integer range/);
    // The connection is still usable afterwards.
    expect(await db.query('select 1 as one')).toEqual([{ one: 1 }]);
  });

  it('refuses undefined parameters on both backends', async () => {
    await expect(db.query('select $1::text as x', [undefined])).rejects.toThrow();
  });

  it('exposes SQLSTATE codes from either backend', async () => {
    await db.query('insert into kv values ($1, $2)', ['dup', 1]);
    const err = await db.query('insert into kv values ($1, $2)', ['dup', 2]).catch((e: unknown) => e);
    expect(sqlState(err)).toBe('23505');
    expect(isUniqueViolation(err)).toBe(true);
    expect(sqlState(new Error('x'))).toBeUndefined();
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await db.transaction(async (tx) => {
      await tx.query('insert into kv values ($1, $2)', ['committed', 1]);
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.query('insert into kv values ($1, $2)', ['rolled-back', 1]);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const rows = await db.query<{ k: string }>(`select k from kv where k in ('committed', 'rolled-back')`);
    expect(rows.map((r) => r.k)).toEqual(['committed']);
  });

  it('turns nested transactions into savepoints', async () => {
    const result = await db.transaction(async (tx) => {
      await tx.query('insert into kv values ($1, $2)', ['outer', 1]);
      await expect(
        tx.transaction(async (inner) => {
          await inner.query('insert into kv values ($1, $2)', ['inner-undone', 1]);
          throw new Error('inner');
        }),
      ).rejects.toThrow('inner');
      await tx.transaction((inner) => inner.query('insert into kv values ($1, $2)', ['inner-kept', 1]));
      return 'done';
    });
    expect(result).toBe('done');
    const rows = await db.query<{ k: string }>(
      `select k from kv where k like 'inner%' or k = 'outer' order by k`,
    );
    expect(rows.map((r) => r.k)).toEqual(['inner-kept', 'outer']);
  });

  it('refuses a transaction handle after its transaction ended', async () => {
    let leaked: Db | undefined;
    await db.transaction(async (tx) => {
      leaked = tx;
    });
    await expect(leaked!.query('select 1')).rejects.toThrow(/transaction is closed/);
  });

  it('serialises outside queries behind an open transaction without deadlocking', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tx = db.transaction(async (t2) => {
      await t2.query('insert into kv values ($1, $2)', ['gated', 1]);
      await gate;
      return 'tx';
    });
    const outside = db.query<{ n: number }>(`select count(*) as n from kv where k = 'gated'`);
    setTimeout(release, 50);
    const [txResult, rows] = await Promise.all([tx, outside]);
    expect(txResult).toBe('tx');
    // PGlite runs the outside query after the commit; Postgres runs it at once on another connection.
    expect(rows[0]!.n).toBe(testDbKind === 'pglite' ? 1 : 0);
  });

  it('keeps session state within withSession', async () => {
    const pid = await db.withSession(async (s) => {
      const [a] = await s.query<{ pid: number }>('select pg_backend_pid() as pid');
      await s.transaction((tx) => tx.query('select 1'));
      const [b] = await s.query<{ pid: number }>('select pg_backend_pid() as pid');
      expect(b!.pid).toBe(a!.pid);
      return a!.pid;
    });
    expect(typeof pid).toBe('number');
  });

  it('pings', async () => {
    await expect(db.ping()).resolves.toBeUndefined();
  });

  // PGlite has one session: the outer handle inside a transaction would wait for itself. This
  // needs no service, so it runs in both passes on a PGlite of its own.
  it('PGlite throws instead of deadlocking on the outer handle inside a transaction', async () => {
    const pglite = await openPglite({});
    try {
      await expect(pglite.transaction(() => pglite.query('select 1'))).rejects.toThrow(/use the tx handle/);
      // Afterwards (outside the transaction's async context) the outer handle works again.
      expect(await pglite.query('select 1 as one')).toEqual([{ one: 1 }]);
    } finally {
      await pglite.close();
    }
  });
});

it('ping fails fast when Postgres is unreachable', async () => {
  // Port 1 on localhost refuses connections; no server needed.
  const db = openPostgres('postgres://nobody@127.0.0.1:1/none', {
    connectTimeoutSeconds: 1,
    closeTimeoutSeconds: 0,
  });
  await expect(db.ping(1500)).rejects.toThrow();
  await db.close();
});

it('ping times out when the server does not answer', async () => {
  // A TCP listener that accepts and never speaks the protocol.
  const net = await import('node:net');
  const sockets: import('node:net').Socket[] = [];
  const server = net.createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as import('node:net').AddressInfo).port;
  const db = openPostgres(`postgres://nobody@127.0.0.1:${port}/none`, {
    connectTimeoutSeconds: 5,
    closeTimeoutSeconds: 0,
  });
  await expect(db.ping(300)).rejects.toThrow(/timed out after 300 ms/);
  const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const s of sockets) s.destroy();
  await db.close();
  await serverClosed;
});
