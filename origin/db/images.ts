import type { Focal } from '../images/focal.js';
import type { Placeholder } from '../images/placeholder.js';
import { CURSOR_TS_SQL, decodeCursor, encodeCursor, listLimit } from './cursor.js';
import type { Db } from './driver.js';

/** A stored image (an original), live or soft-deleted; camelCase view of an `images` row. */
export interface ImageRow {
  id: string;
  owner: string;
  /** Lower-case hex SHA-256 of the original bytes. */
  sha256: string;
  bytes: number;
  width: number;
  height: number;
  format: string;
  frames: number;
  hasAlpha: boolean;
  /** The LQIP placeholder (jsonb); null until computed (images older than issue 13: the backfill). */
  placeholder: Placeholder | null;
  /** The default focal point (focal_x, focal_y); null when none is stored. */
  focal: Focal | null;
  createdAt: Date;
  deletedAt: Date | null;
}

/**
 * An image to insert: an ImageRow without the timestamps the database sets; frames default 1,
 * placeholder null.
 */
export type NewImage = Omit<ImageRow, 'frames' | 'placeholder' | 'focal' | 'createdAt' | 'deletedAt'> & {
  frames?: number;
  placeholder?: Placeholder | null;
};

/**
 * The columns of an ImageRow, named as its fields (the row needs no mapping in JS). The focal
 * point's two columns come as one jsonb value, which both drivers parse.
 */
const COLUMNS = `id, owner, sha256, bytes, width, height, format, frames, has_alpha as "hasAlpha", placeholder,
  case when focal_x is null then null else jsonb_build_object('x', focal_x, 'y', focal_y) end as focal,
  created_at as "createdAt", deleted_at as "deletedAt"`;

/** A placeholder as a query parameter: JSON text, cast `$n::text::jsonb` (same on both drivers). */
function placeholderParam(placeholder: Placeholder | null | undefined): string | null {
  return placeholder ? JSON.stringify({ thumbhash: placeholder.thumbhash, color: placeholder.color }) : null;
}

/**
 * Inserts an image unless the owner already has a live image with the same sha256, in which case
 * that row is returned with `created: false` (and `row.id` is not used). Race-safe: concurrent
 * uploads of the same bytes by one owner all get the one surviving row.
 */
export async function insertImage(db: Db, row: NewImage): Promise<{ record: ImageRow; created: boolean }> {
  return db.transaction(async (tx) => {
    // Each statement of a READ COMMITTED transaction sees rows committed before it started, and
    // ON CONFLICT waits for a concurrent inserter to finish, so the SELECT finds the winner. The
    // loop covers the winner being soft-deleted in between (then our insert can succeed).
    for (let attempt = 0; attempt < 5; attempt++) {
      const inserted = await tx.query<ImageRow>(
        `insert into images (id, owner, sha256, bytes, width, height, format, frames, has_alpha, placeholder)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::jsonb)
         on conflict (owner, sha256) where deleted_at is null do nothing
         returning ${COLUMNS}`,
        [
          row.id,
          row.owner,
          row.sha256,
          row.bytes,
          row.width,
          row.height,
          row.format,
          row.frames ?? 1,
          row.hasAlpha,
          placeholderParam(row.placeholder),
        ],
      );
      if (inserted[0]) return { record: inserted[0], created: true };
      const existing = await findLiveBySha(tx, row.owner, row.sha256);
      if (existing) return { record: existing, created: false };
    }
    throw new Error(`insertImage: no stable outcome for owner ${row.owner} sha256 ${row.sha256}`);
  });
}

/** A live image by id (null when unknown or deleted). Ownership is the caller's check. */
export async function getImage(db: Db, id: string): Promise<ImageRow | null> {
  const rows = await db.query<ImageRow>(
    `select ${COLUMNS} from images where id = $1 and deleted_at is null`,
    [id],
  );
  return rows[0] ?? null;
}

export async function findLiveBySha(db: Db, owner: string, sha256: string): Promise<ImageRow | null> {
  const rows = await db.query<ImageRow>(
    `select ${COLUMNS} from images where owner = $1 and sha256 = $2 and deleted_at is null`,
    [owner, sha256],
  );
  return rows[0] ?? null;
}

export { LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX } from './cursor.js';

export interface ListOptions {
  /** 1..LIST_LIMIT_MAX, default LIST_LIMIT_DEFAULT. */
  limit?: number;
  /** `nextCursor` of the previous page; absent/null for the first page ('' is invalid). */
  cursor?: string | null;
}

export interface ImagePage {
  items: ImageRow[];
  /** null on the last page. */
  nextCursor: string | null;
}

/** An owner's live images, newest first (ties broken by id), keyset-paginated. */
export async function listImages(db: Db, owner: string, opts: ListOptions = {}): Promise<ImagePage> {
  const limit = listLimit(opts.limit);
  const select = `select ${COLUMNS}, ${CURSOR_TS_SQL} as cursor_ts from images
    where owner = $1 and deleted_at is null`;
  const order = 'order by created_at desc, id desc';
  let rows: (ImageRow & { cursor_ts: string })[];
  if (opts.cursor !== undefined && opts.cursor !== null) {
    const after = decodeCursor(opts.cursor);
    // `$2::text::timestamptz`, not `$2::timestamptz`: postgres.js serialises timestamptz parameters
    // through a JS Date, which would cut the microseconds off and skip rows.
    rows = await db.query(`${select} and (created_at, id) < ($2::text::timestamptz, $3) ${order} limit $4`, [
      owner,
      after.createdAt,
      after.id,
      limit + 1,
    ]);
  } else {
    rows = await db.query(`${select} ${order} limit $2`, [owner, limit + 1]);
  }
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(({ cursor_ts: _, ...row }) => row),
    nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.cursor_ts, id: last.id }) : null,
  };
}

/** Soft-deletes a live image of `owner`; the deleted row, or null (unknown, deleted, or not theirs). */
export async function softDeleteImage(db: Db, id: string, owner: string): Promise<ImageRow | null> {
  const rows = await db.query<ImageRow>(
    `update images set deleted_at = now() where id = $1 and owner = $2 and deleted_at is null
     returning ${COLUMNS}`,
    [id, owner],
  );
  return rows[0] ?? null;
}

/**
 * Sets (or, with null, clears) the focal point of a live image of `owner`. The row before and
 * after, or null (unknown, deleted, or not theirs). `focal` must be valid (0..1 each).
 */
export async function setFocal(
  db: Db,
  id: string,
  owner: string,
  focal: Focal | null,
): Promise<{ before: ImageRow; after: ImageRow } | null> {
  return db.transaction(async (tx) => {
    const [before] = await tx.query<ImageRow>(
      `select ${COLUMNS} from images where id = $1 and owner = $2 and deleted_at is null for update`,
      [id, owner],
    );
    if (!before) return null;
    const [after] = await tx.query<ImageRow>(
      `update images set focal_x = $3::float8, focal_y = $4::float8 where id = $1 and owner = $2
       returning ${COLUMNS}`,
      [id, owner, focal?.x ?? null, focal?.y ?? null],
    );
    if (!after) throw new Error(`setFocal: image ${id} went while locked`);
    return { before, after };
  });
}

/** Live images (any owner) using these bytes: 0 means the original file is unreferenced. */
export async function countLiveBySha(db: Db, sha256: string): Promise<number> {
  const rows = await db.query<{ n: number }>(
    'select count(*) as n from images where sha256 = $1 and deleted_at is null',
    [sha256],
  );
  return rows[0]?.n ?? 0;
}

/**
 * Sets the placeholder of every live image of these bytes that has none yet (a placeholder is a
 * function of the bytes alone); returns how many rows it set. Never overwrites one.
 */
export async function fillPlaceholders(db: Db, sha256: string, placeholder: Placeholder): Promise<number> {
  const rows = await db.query<{ id: string }>(
    `update images set placeholder = $2::text::jsonb
     where sha256 = $1 and deleted_at is null and placeholder is null returning id`,
    [sha256, placeholderParam(placeholder)],
  );
  return rows.length;
}

/**
 * Distinct sha256 of live images without a placeholder, after `after` in sha256 order (keyset:
 * the images_sha256_live index), at most `limit`. The backfill's batches.
 */
export async function shasWithoutPlaceholder(db: Db, after: string, limit: number): Promise<string[]> {
  const rows = await db.query<{ sha256: string }>(
    `select distinct sha256 from images
     where deleted_at is null and placeholder is null and sha256 > $1
     order by sha256 limit $2`,
    [after, limit],
  );
  return rows.map((r) => r.sha256);
}
