/**
 * The source cache's rows (migration 0002_source_cache). Freshness is computed by the database's
 * clock (`now()`), the one clock every replica shares.
 */
import type { Db } from './driver.js';

export interface SourceRow {
  source: string;
  path: string;
  /** null: a negative entry (the source answered 404). */
  sha256: string | null;
  bytes: number | null;
  etag: string | null;
  lastModified: string | null;
  fetchedAt: Date;
  freshUntil: Date;
  /** Seconds of freshness left by the database's clock (≤ 0: stale). */
  remaining: number;
}

const COLUMNS = `source, path, sha256, bytes, etag, last_modified as "lastModified", fetched_at as "fetchedAt",
  fresh_until as "freshUntil", extract(epoch from (fresh_until - now()))::float8 as remaining`;

export async function getSourceRow(db: Db, source: string, path: string): Promise<SourceRow | null> {
  const rows = await db.query<SourceRow>(
    `select ${COLUMNS} from source_cache where source = $1 and path = $2`,
    [source, path],
  );
  return rows[0] ?? null;
}

export interface SourceWrite {
  source: string;
  path: string;
  sha256: string | null;
  bytes: number | null;
  etag: string | null;
  lastModified: string | null;
  /** Fresh for this many seconds from now (the database's now). */
  freshSeconds: number;
}

/**
 * Lock the row of (source, path) for this transaction (nothing when there is none) and return the
 * sha256 it names (null: negative; undefined: no row). Take it before lockSource(tx, sha256): rows
 * first, then bytes, in every transaction that takes both, so two of them never wait on each other.
 */
export async function lockSourceRow(
  tx: Db,
  source: string,
  path: string,
): Promise<{ sha256: string | null } | undefined> {
  const rows = await tx.query<{ sha256: string | null }>(
    'select sha256 from source_cache where source = $1 and path = $2 for update',
    [source, path],
  );
  return rows[0];
}

/** Insert or replace the row of (source, path) and return it. */
export async function putSourceRow(tx: Db, row: SourceWrite): Promise<SourceRow> {
  const written = await tx.query<SourceRow>(
    `insert into source_cache (source, path, sha256, bytes, etag, last_modified, fetched_at, fresh_until)
     values ($1, $2, $3, $4, $5, $6, now(), now() + $7::float8 * interval '1 second')
     on conflict (source, path) do update set sha256 = excluded.sha256, bytes = excluded.bytes,
       etag = excluded.etag, last_modified = excluded.last_modified, fetched_at = excluded.fetched_at,
       fresh_until = excluded.fresh_until
     returning ${COLUMNS}`,
    [row.source, row.path, row.sha256, row.bytes, row.etag, row.lastModified, row.freshSeconds],
  );
  return written[0]!;
}

/**
 * A 304: the cached copy is fresh again for `freshSeconds`; validators the 304 carries replace the
 * old ones. Only while the row still names `sha256` (not purged or replaced meanwhile): else null.
 */
export async function refreshSourceRow(
  db: Db,
  key: { source: string; path: string; sha256: string },
  update: { freshSeconds: number; etag: string | undefined; lastModified: string | undefined },
): Promise<SourceRow | null> {
  const rows = await db.query<SourceRow>(
    `update source_cache set fetched_at = now(), fresh_until = now() + $4::float8 * interval '1 second',
       etag = coalesce($5, etag), last_modified = coalesce($6, last_modified)
     where source = $1 and path = $2 and sha256 = $3
     returning ${COLUMNS}`,
    [key.source, key.path, key.sha256, update.freshSeconds, update.etag ?? null, update.lastModified ?? null],
  );
  return rows[0] ?? null;
}

/** Forget (source, path); the deleted row's sha256 (null for a negative row), or undefined when none. */
export async function deleteSourceRow(
  db: Db,
  source: string,
  path: string,
): Promise<{ sha256: string | null } | undefined> {
  const rows = await db.query<{ sha256: string | null }>(
    'delete from source_cache where source = $1 and path = $2 returning sha256',
    [source, path],
  );
  return rows[0];
}
