/**
 * The database seam of the origin: one small interface that postgres.js (real Postgres) and PGlite
 * (embedded Postgres in wasm) both implement, so the same SQL text with `$1`-style parameters runs
 * on either backend.
 *
 * Value mapping, identical on both backends:
 * - `int8`/`bigint` (including `count(*)`) → JS `number`; a value beyond ±2^53-1 throws a
 *   RangeError instead of silently losing precision (ours are byte sizes and counts).
 * - `timestamptz` → JS `Date` (millisecond precision; the server keeps microseconds, so keyset
 *   cursors carry the server's own text form, see cursor.ts). As a parameter, postgres.js turns a
 *   timestamptz value into a JS Date too: send microsecond text as `$n::text::timestamptz`.
 * - `text[]` → `string[]`, `boolean` → `boolean`, `numeric` → `string`.
 */

export type DbKind = 'postgres' | 'pglite';

export interface Db {
  readonly kind: DbKind;
  /** One statement, `$1`-style parameters. Rows come back as plain objects keyed by column name. */
  query<T extends object>(text: string, params?: unknown[]): Promise<T[]>;
  /**
   * Runs `fn` in a transaction (READ COMMITTED): committed when it resolves, rolled back when it
   * throws. Calling `transaction` on the `tx` handle opens a savepoint. Use only `tx` inside `fn`:
   * on PGlite a query on the outer handle would wait for this very transaction (it throws instead).
   */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` with every query on one server session (a reserved connection), for session-level
   * state such as advisory locks. PGlite has a single session, so it passes itself.
   */
  withSession<T>(fn: (session: Db) => Promise<T>): Promise<T>;
  /** `select 1` bounded by `timeoutMs` (default 2000); throws when the database is unreachable. */
  ping(timeoutMs?: number): Promise<void>;
  /** Waits for running queries, then closes every connection. */
  close(): Promise<void>;
}

export const INT8_OID = 20;
export const DEFAULT_PING_TIMEOUT_MS = 2000;

/** Parser for `int8` text values: a JS number, or a RangeError when it is not exactly representable. */
export function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) {
    throw new RangeError(`int8 value ${text} is outside the safe JS integer range`);
  }
  return n;
}

/** SQLSTATE of an error raised by either backend (`23505` unique violation, …), else undefined. */
export function sqlState(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

export function isUniqueViolation(err: unknown): boolean {
  return sqlState(err) === '23505';
}
