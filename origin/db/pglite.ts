import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { withTimeout } from '../../shared/timeout.js';
import { acquireDirLock, type DirLock } from './dir-lock.js';
import { type Db, DEFAULT_PING_TIMEOUT_MS, INT8_OID, parseInt8 } from './driver.js';
import { TxHandle } from './tx.js';

export interface PgliteOptions {
  /** A directory (created if missing) or `memory://` (default) for a throwaway database. */
  dataDir?: string;
  /** Start from a dump made with `dumpDataDir()` instead of running initdb (tests: ≈0.7 s vs ≈4 s). */
  loadDataDir?: Blob;
  /** `search_path` for the (single) session. */
  searchPath?: string;
}

/**
 * PGlite is one Postgres backend in this process. It already serialises work: a query issued
 * outside a transaction waits until the open transaction ends. The one way to deadlock is to use
 * the outer handle from inside a transaction callback (it would wait for itself), so that throws.
 */
class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  readonly #pg: PGlite;
  readonly #inTx = new AsyncLocalStorage<{ open: boolean }>();
  /** The data directory's lock (none for `memory://`): released once PGlite is closed. */
  readonly lock: DirLock | undefined;

  constructor(pg: PGlite, lock: DirLock | undefined) {
    this.#pg = pg;
    this.lock = lock;
  }

  async query<T extends object>(text: string, params?: unknown[]): Promise<T[]> {
    this.#assertNotInsideTx();
    checkParams(params);
    return (await this.#pg.query<T>(text, params)).rows;
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    this.#assertNotInsideTx();
    return this.#pg.transaction(async (t) => {
      const handle = new TxHandle('pglite', async (text, params) => {
        checkParams(params);
        return (await t.query<object>(text, params)).rows;
      });
      const marker = { open: true };
      try {
        return await this.#inTx.run(marker, () => fn(handle));
      } finally {
        marker.open = false;
        handle.end();
      }
    });
  }

  withSession<T>(fn: (session: Db) => Promise<T>): Promise<T> {
    return fn(this);
  }

  async ping(timeoutMs = DEFAULT_PING_TIMEOUT_MS): Promise<void> {
    await withTimeout(this.query('select 1'), timeoutMs, 'database ping');
  }

  async close(): Promise<void> {
    try {
      if (!this.#pg.closed) await this.#pg.close();
    } finally {
      await this.lock?.release();
    }
  }

  /** A gzip tarball of the data directory, reusable as `loadDataDir`. */
  dumpDataDir(): Promise<Blob> {
    return this.#pg.dumpDataDir('gzip');
  }

  #assertNotInsideTx(): void {
    if (this.#inTx.getStore()?.open) {
      throw new Error('PGlite: query on the outer database inside transaction(); use the tx handle');
    }
  }
}

/** postgres.js refuses `undefined` parameters; PGlite would send NULL. Refuse on both. */
function checkParams(params: unknown[] | undefined): void {
  if (params?.includes(undefined)) {
    throw new TypeError(`undefined query parameter at $${params.indexOf(undefined) + 1}; pass null`);
  }
}

export type PgliteDatabase = Db & { dumpDataDir(): Promise<Blob>; readonly lock: DirLock | undefined };

/**
 * Opens PGlite. A data directory is held exclusively by this process until `close()` (or exit):
 * a second opener, in any process, fails at once with a DirLockedError (see dir-lock.ts).
 */
export async function openPglite(opts: PgliteOptions = {}): Promise<PgliteDatabase> {
  const dataDir = opts.dataDir ?? 'memory://';
  let lock: DirLock | undefined;
  if (!dataDir.includes('://')) {
    await mkdir(dataDir, { recursive: true });
    lock = await acquireDirLock(dataDir);
  }
  let db: PgliteDb | undefined;
  try {
    const pg = await PGlite.create({
      dataDir,
      ...(opts.loadDataDir === undefined ? {} : { loadDataDir: opts.loadDataDir }),
      parsers: { [INT8_OID]: (text: string) => parseInt8(text) },
    });
    db = new PgliteDb(pg, lock);
    if (opts.searchPath !== undefined) {
      await db.query(`select set_config('search_path', $1, false)`, [opts.searchPath]);
    }
    return db;
  } catch (err) {
    if (db) await db.close().catch(() => {});
    else await lock?.release();
    throw err;
  }
}
