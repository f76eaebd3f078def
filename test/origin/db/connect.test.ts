import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { insertClient, listClients } from '../../../origin/db/clients.js';
import { connectDb, databaseUrlFromParts } from '../../../origin/db/connect.js';
import { migrate } from '../../../origin/db/migrate.js';
import { itRealPostgres, openTestDb } from '../../support/db.js';

describe('databaseUrlFromParts', () => {
  it('builds a URL and encodes every part', () => {
    const password = 'p@ss:w/rd?#%& ü';
    const url = databaseUrlFromParts({
      host: 'db.internal',
      port: 6543,
      user: 'app user',
      password,
      name: 'img edge',
    });
    expect(url).toBe(`postgres://app%20user:${encodeURIComponent(password)}@db.internal:6543/img%20edge`);
    const parsed = new URL(url!);
    expect(decodeURIComponent(parsed.password)).toBe(password);
    expect(decodeURIComponent(parsed.username)).toBe('app user');
    expect(parsed.hostname).toBe('db.internal');
    expect(parsed.port).toBe('6543');
  });

  it('leaves out what is not set, brackets IPv6, and needs a host', () => {
    expect(databaseUrlFromParts({ host: 'h' })).toBe('postgres://h');
    expect(databaseUrlFromParts({ host: 'h', user: 'u' })).toBe('postgres://u@h');
    expect(databaseUrlFromParts({ host: '::1', port: '5432' })).toBe('postgres://[::1]:5432');
    expect(databaseUrlFromParts({ user: 'u' })).toBeUndefined();
  });
});

describe('connectDb', () => {
  // The embedded production path (initdb into a directory, fsyncs, reopen): needs no service, so
  // it runs in every pass.
  it('opens PGlite in a directory it creates, and the data survives a reopen', async () => {
    const root = await mkdtemp(join(tmpdir(), 'imgedge-pglite-'));
    const dir = join(root, 'nested', 'pglite');
    try {
      const first = await connectDb({ pgliteDir: dir });
      expect(first.kind).toBe('pglite');
      await migrate(first);
      await insertClient(first, { id: 'persisted', name: 'p', secretHash: 'h', scopes: ['images:read'] });
      await first.close();
      expect((await readdir(dir)).length).toBeGreaterThan(0);

      const second = await connectDb({ pgliteDir: dir });
      expect(second.kind).toBe('pglite');
      expect(await migrate(second)).toEqual([]);
      expect((await listClients(second)).map((c) => c.id)).toEqual(['persisted']);
      await second.close();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 60_000);

  itRealPostgres('opens postgres.js with a search_path on every pooled connection', async () => {
    const t = await openTestDb({ migrate: true });
    const db = await connectDb({
      databaseUrl: process.env.TEST_DATABASE_URL!,
      searchPath: t.schema!,
      maxConnections: 3,
    });
    try {
      expect(db.kind).toBe('postgres');
      const schemas = await Promise.all(
        Array.from({ length: 6 }, () =>
          db.query<{ s: string }>('select current_schema() as s, pg_sleep(0.05)'),
        ),
      );
      expect(new Set(schemas.map((r) => r[0]!.s))).toEqual(new Set([t.schema]));
      // The URL form carries the same search_path.
      const viaUrl = await connectDb({ databaseUrl: t.url! });
      expect(await viaUrl.query('select current_schema() as s')).toEqual([{ s: t.schema }]);
      await viaUrl.close();
    } finally {
      await db.close();
      await t.close();
    }
  });
});
