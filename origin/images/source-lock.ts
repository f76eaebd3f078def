import type { Db } from '../db/driver.js';

/**
 * Serialises work on one original (content address) across transactions and origin replicas:
 * an upload that commits a file + row and a delete that may remove the file never interleave,
 * so a live row never points at a removed file.
 */
export async function lockSource(tx: Db, sha256: string): Promise<void> {
  await tx.query('select pg_advisory_xact_lock(hashtextextended($1, 7311))', [sha256]);
}
