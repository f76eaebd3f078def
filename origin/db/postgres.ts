import postgres from 'postgres';
import { withTimeout } from '../../shared/timeout.js';
import { type Db, DEFAULT_PING_TIMEOUT_MS, INT8_OID, parseInt8 } from './driver.js';
import { type Exec, runTransaction, TxHandle } from './tx.js';

export interface PostgresOptions {
  /** Pool size (default 10). */
  maxConnections?: number;
  /** Seconds before an idle pooled connection is closed (default 30). */
  idleTimeoutSeconds?: number;
  /** Seconds to wait for a TCP connection + startup (default 5). */
  connectTimeoutSeconds?: number;
  /** `search_path` sent as a startup parameter on every connection (e.g. a test schema). */
  searchPath?: string;
  /** `application_name` shown in pg_stat_activity (default `imgedge-origin`). */
  applicationName?: string;
  /** Seconds close() lets running queries finish before cancelling them (default 5). */
  closeTimeoutSeconds?: number;
}

type Sql = postgres.Sql<Record<string, unknown>>;

function execOn(sql: Sql): Exec {
  return async (text, params = []) => {
    // Parameterised statements are prepared (named, cached per connection); statements without
    // parameters go through the simple protocol, which is what BEGIN/COMMIT/SAVEPOINT need.
    const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], {
      prepare: params.length > 0,
    });
    return [...rows];
  };
}

class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  readonly #sql: Sql;
  readonly #exec: Exec;
  readonly #closeTimeout: number;

  constructor(sql: Sql, closeTimeoutSeconds: number) {
    this.#sql = sql;
    this.#exec = execOn(sql);
    this.#closeTimeout = closeTimeoutSeconds;
  }

  async query<T extends object>(text: string, params?: unknown[]): Promise<T[]> {
    return (await this.#exec(text, params)) as T[];
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return (await this.#sql.begin(async (tx) => {
      const handle = new TxHandle('postgres', execOn(tx as unknown as Sql));
      try {
        return await fn(handle);
      } finally {
        handle.end();
      }
    })) as T;
  }

  async withSession<T>(fn: (session: Db) => Promise<T>): Promise<T> {
    const reserved = await this.#sql.reserve();
    try {
      return await fn(new SessionDb(execOn(reserved)));
    } finally {
      reserved.release();
    }
  }

  async ping(timeoutMs = DEFAULT_PING_TIMEOUT_MS): Promise<void> {
    await withTimeout(this.#exec('select 1'), timeoutMs, 'database ping');
  }

  async close(): Promise<void> {
    await this.#sql.end({ timeout: this.#closeTimeout });
  }
}

/** One reserved connection: transactions are plain BEGIN/COMMIT on it. */
class SessionDb implements Db {
  readonly kind = 'postgres' as const;

  constructor(private readonly exec: Exec) {}

  async query<T extends object>(text: string, params?: unknown[]): Promise<T[]> {
    return (await this.exec(text, params)) as T[];
  }

  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return runTransaction('postgres', this.exec, fn);
  }

  withSession<T>(fn: (session: Db) => Promise<T>): Promise<T> {
    return fn(this);
  }

  async ping(timeoutMs = DEFAULT_PING_TIMEOUT_MS): Promise<void> {
    await withTimeout(this.exec('select 1'), timeoutMs, 'database ping');
  }

  close(): Promise<void> {
    return Promise.reject(new Error('close() the database, not a session'));
  }
}

/** A pooled postgres.js client. Connections open lazily: a bad URL fails on the first query. */
export function openPostgres(url: string, opts: PostgresOptions = {}): Db {
  const connection: Record<string, string> = {
    application_name: opts.applicationName ?? 'imgedge-origin',
  };
  if (opts.searchPath !== undefined) connection.search_path = opts.searchPath;
  const sql = postgres(url, {
    max: opts.maxConnections ?? 10,
    idle_timeout: opts.idleTimeoutSeconds ?? 30,
    connect_timeout: opts.connectTimeoutSeconds ?? 5,
    prepare: true,
    onnotice: () => {},
    connection,
    types: {
      int8: { to: INT8_OID, from: [INT8_OID], serialize: (v: unknown) => String(v), parse: parseInt8 },
    },
  }) as unknown as Sql;
  return new PostgresDb(sql, opts.closeTimeoutSeconds ?? 5);
}
