/**
 * Wraps a Db so that every statement is timed and every database failure is counted, by SQLSTATE
 * class, in the metrics (like storage/measured.ts for the stores). A failure is what the database
 * or the connection to it did: a statement that threw, a BEGIN or COMMIT that failed, a session
 * that could not be reserved, a ping that failed or timed out. An error the caller's own code
 * throws inside `transaction` or `withSession` (a 404 decided mid-transaction) is not one.
 */
import type { Metrics } from '../observability/metrics.js';
import { type Db, sqlState } from './driver.js';

type DbMetrics = Pick<Metrics, 'databaseDuration' | 'databaseErrors'>;

/** The SQLSTATE class (`08`, `23`…) of a database error, or `none` when the server gave none. */
export function sqlStateClass(err: unknown): string {
  return sqlState(err)?.slice(0, 2) ?? 'none';
}

export function measuredDb(db: Db, metrics: DbMetrics): Db {
  const failed = (err: unknown) => metrics.databaseErrors.inc({ sqlstate_class: sqlStateClass(err) });

  async function timed<T>(fn: () => Promise<T>): Promise<T> {
    const end = metrics.databaseDuration.startTimer();
    try {
      return await fn();
    } catch (err) {
      failed(err);
      throw err;
    } finally {
      end();
    }
  }

  /** Runs `open(inner)`; counts what it throws unless `fn` (the caller's code) threw it. */
  async function scoped<T>(
    open: (inner: (handle: Db) => Promise<T>) => Promise<T>,
    fn: (handle: Db) => Promise<T>,
  ): Promise<T> {
    let fromCaller: { err: unknown } | undefined;
    try {
      return await open(async (handle) => {
        try {
          return await fn(measuredDb(handle, metrics));
        } catch (err) {
          fromCaller = { err };
          throw err;
        }
      });
    } catch (err) {
      if (!fromCaller || fromCaller.err !== err) failed(err);
      throw err;
    }
  }

  return {
    kind: db.kind,
    query<T extends object>(text: string, params?: unknown[]) {
      return timed(() => db.query<T>(text, params));
    },
    transaction<T>(fn: (tx: Db) => Promise<T>) {
      return scoped<T>((inner) => db.transaction(inner), fn);
    },
    withSession<T>(fn: (session: Db) => Promise<T>) {
      return scoped<T>((inner) => db.withSession(inner), fn);
    },
    ping: (timeoutMs) => timed(() => db.ping(timeoutMs)),
    close: () => db.close(),
  };
}
