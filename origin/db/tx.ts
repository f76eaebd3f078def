import { withTimeout } from '../../shared/timeout.js';
import { type Db, type DbKind, DEFAULT_PING_TIMEOUT_MS } from './driver.js';

/** Runs one statement on the connection that owns the transaction. */
export type Exec = (text: string, params?: unknown[]) => Promise<object[]>;

/**
 * The `tx` handle given to a transaction callback, on either backend. Nested `transaction` calls
 * become savepoints; the handle refuses queries once its transaction has ended.
 */
export class TxHandle implements Db {
  #open = true;

  constructor(
    readonly kind: DbKind,
    private readonly exec: Exec,
    private readonly depth = 0,
  ) {}

  async query<T extends object>(text: string, params?: unknown[]): Promise<T[]> {
    if (!this.#open) throw new Error('transaction is closed: this tx handle can no longer be used');
    return (await this.exec(text, params)) as T[];
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    const name = `imgedge_sp_${this.depth + 1}`;
    await this.query(`savepoint ${name}`);
    const inner = new TxHandle(this.kind, this.exec, this.depth + 1);
    try {
      const result = await fn(inner);
      await this.query(`release savepoint ${name}`);
      return result;
    } catch (err) {
      // A failed rollback (connection gone) must not hide the error that caused it.
      await this.query(`rollback to savepoint ${name}`).catch(() => {});
      throw err;
    } finally {
      inner.end();
    }
  }

  withSession<T>(fn: (session: Db) => Promise<T>): Promise<T> {
    return fn(this);
  }

  async ping(timeoutMs = DEFAULT_PING_TIMEOUT_MS): Promise<void> {
    await withTimeout(this.query('select 1'), timeoutMs, 'database ping');
  }

  close(): Promise<void> {
    return Promise.reject(new Error('close() the database, not a transaction handle'));
  }

  /** Called by the owner when the transaction commits or rolls back. */
  end(): void {
    this.#open = false;
  }
}

/** BEGIN … COMMIT (ROLLBACK on error) on a connection already dedicated to the caller. */
export async function runTransaction<T>(kind: DbKind, exec: Exec, fn: (tx: Db) => Promise<T>): Promise<T> {
  await exec('begin');
  const tx = new TxHandle(kind, exec);
  try {
    const result = await fn(tx);
    await exec('commit');
    return result;
  } catch (err) {
    await exec('rollback').catch(() => {});
    throw err;
  } finally {
    tx.end();
  }
}
