/**
 * Mezzanines for originals stored before they existed (`npm run backfill -- mezzanines`):
 * distinct sha256 of live images in sha256 order, `batchSize` at a time; each original that gets
 * one (policy.ts) and lacks a level of it in the store is read once, made into its levels and the
 * missing ones stored.
 * Idempotent and resumable (what exists is skipped; the key is a function of the bytes), safe
 * beside running origins (they make the same bytes under the same key). An original that cannot
 * be made into one (missing, undecodable) is reported and skipped; a failing store or database
 * stops the run. Origins also make a missing mezzanine lazily on the first variant that uses it.
 */
import { isImgedgeError } from '../../shared/errors.js';
import type { Db } from '../db/driver.js';
import type { OriginalStore } from '../storage/originals.js';
import { makeMezzanine } from './make.js';
import { mezzanineLevels, type OriginalFacts } from './policy.js';
import type { MezzanineStore } from './store.js';

export interface MezzanineBackfillDeps {
  db: Db;
  originals: OriginalStore;
  store: MezzanineStore;
  maxInputPixels: number;
}

export interface MezzanineBackfillReport {
  originals: number;
  made: number;
  /** Already in the store. */
  present: number;
  /** Originals that get none (small, animated). */
  none: number;
  failures: { sha256: string; code: string; message: string }[];
}

interface FactsRow extends OriginalFacts {
  sha256: string;
}

async function batchAfter(db: Db, after: string, limit: number): Promise<FactsRow[]> {
  return db.query<FactsRow>(
    `select distinct on (sha256) sha256, width, height, frames, has_alpha as "hasAlpha", format
     from images where deleted_at is null and sha256 > $1
     order by sha256 limit $2`,
    [after, limit],
  );
}

export async function backfillMezzanines(
  deps: MezzanineBackfillDeps,
  options: { batchSize?: number; onBatch?: (report: MezzanineBackfillReport) => void } = {},
): Promise<MezzanineBackfillReport> {
  const report: MezzanineBackfillReport = { originals: 0, made: 0, present: 0, none: 0, failures: [] };
  let after = '';
  for (;;) {
    const rows = await batchAfter(deps.db, after, options.batchSize ?? 100);
    if (rows.length === 0) return report;
    after = rows[rows.length - 1]!.sha256;
    for (const row of rows) {
      report.originals++;
      const levels = mezzanineLevels(row);
      if (!levels) {
        report.none++;
        continue;
      }
      const present = await Promise.all(levels.map((l) => deps.store.has(row.sha256, l.level)));
      if (present.every(Boolean)) {
        report.present++;
        continue;
      }
      const original = await deps.originals.read(row.sha256);
      if (!original) {
        report.failures.push({
          sha256: row.sha256,
          code: 'original_missing',
          message: 'the original is not in the store',
        });
        continue;
      }
      try {
        const made = await makeMezzanine(original, row, deps.maxInputPixels);
        for (const [i, level] of (made ?? []).entries()) {
          if (!present[i]) await deps.store.put(row.sha256, level.level, level.data);
        }
        if (made) report.made++;
      } catch (err) {
        if (!isImgedgeError(err)) throw err;
        report.failures.push({
          sha256: row.sha256,
          code: err.code,
          message: err.message,
        });
      }
    }
    options.onBatch?.({ ...report, failures: [...report.failures] });
  }
}
