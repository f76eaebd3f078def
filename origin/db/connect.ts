import type { Db } from './driver.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';

export interface ConnectOptions {
  /** postgres:// URL: real Postgres through postgres.js. */
  databaseUrl?: string;
  /** Without a URL: embedded PGlite in this directory (default `./data/pglite`), or `memory://`. */
  pgliteDir?: string;
  /** Postgres pool size (ignored by PGlite, which has a single session). */
  maxConnections?: number;
  /** `search_path` for every connection. */
  searchPath?: string;
}

export const DEFAULT_PGLITE_DIR = './data/pglite';

/**
 * Opens the origin's database: postgres.js when `databaseUrl` is set, else embedded PGlite.
 * The Postgres pool connects lazily; call `db.ping()` to fail fast at start-up.
 * A PGlite data directory is held by one process at a time: a second opener gets a DirLockedError.
 */
export async function connectDb(opts: ConnectOptions): Promise<Db> {
  if (opts.databaseUrl) {
    return openPostgres(opts.databaseUrl, {
      ...(opts.maxConnections === undefined ? {} : { maxConnections: opts.maxConnections }),
      ...(opts.searchPath === undefined ? {} : { searchPath: opts.searchPath }),
    });
  }
  return openPglite({
    dataDir: opts.pgliteDir ?? DEFAULT_PGLITE_DIR,
    ...(opts.searchPath === undefined ? {} : { searchPath: opts.searchPath }),
  });
}

export interface DbUrlParts {
  host?: string;
  port?: string | number;
  user?: string;
  password?: string;
  name?: string;
}

/**
 * `postgres://user:password@host:port/name` from the DB_* variables; every part is URL-encoded
 * (passwords may hold `@`, `/`, `:`, `%`…). Returns undefined when DB_HOST is not set.
 */
export function databaseUrlFromParts(parts: DbUrlParts): string | undefined {
  if (!parts.host) return undefined;
  const user = parts.user ? encodeURIComponent(parts.user) : '';
  const password = parts.password ? `:${encodeURIComponent(parts.password)}` : '';
  const auth = user || password ? `${user}${password}@` : '';
  const host = parts.host.includes(':') && !parts.host.startsWith('[') ? `[${parts.host}]` : parts.host;
  const port = parts.port === undefined || parts.port === '' ? '' : `:${parts.port}`;
  const name = parts.name ? `/${encodeURIComponent(parts.name)}` : '';
  return `postgres://${auth}${host}${port}${name}`;
}
