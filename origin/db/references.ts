import type { Db } from './driver.js';

/**
 * Whether anything still uses the original with these bytes: a live uploaded image (of any owner)
 * or a cached remote source. Both kinds share the content-addressed store, so neither may remove
 * bytes the other still names. Call it under lockSource(tx, sha256) (images/source-lock.ts).
 */
export async function originalReferenced(db: Db, sha256: string): Promise<boolean> {
  const rows = await db.query<{ used: boolean }>(
    `select exists (select 1 from images where sha256 = $1 and deleted_at is null)
         or exists (select 1 from source_cache where sha256 = $1) as used`,
    [sha256],
  );
  return rows[0]?.used === true;
}
