/**
 * Placeholders for images stored before uploads computed them (`npm run backfill -- placeholders`).
 *
 * - Batched: distinct sha256 of live images without a placeholder, in sha256 order, `batchSize` at
 *   a time (keyset on the images_sha256_live index), each original decoded once for every row
 *   that shares its bytes.
 * - Idempotent and resumable: a row is only ever set where it is null, and each sha256 is its own
 *   UPDATE, so a run stopped at any point keeps what it did and the next run picks up what is
 *   left. Uploads racing the backfill set the same value (it is a function of the bytes).
 * - Originals are read through the OriginalStore (the local folder or the S3 bucket).
 * - An image that cannot get one (original missing, undecodable) is reported and skipped; a
 *   store that is down stops the run (nothing could progress), as does a database error.
 */
import { isImgedgeError } from '../../shared/errors.js';
import type { Db } from '../db/driver.js';
import { fillPlaceholders, shasWithoutPlaceholder } from '../db/images.js';
import type { OriginalStore } from '../storage/originals.js';
import { checkUpload } from '../uploads/check.js';
import type { Placeholder } from './placeholder.js';

export interface BackfillDeps {
  db: Db;
  originals: OriginalStore;
  /** MAX_INPUT_PIXELS: the same decoder cap as every other decode. */
  maxInputPixels: number;
}

export interface BackfillOptions {
  /** sha256 values per batch (default 100). */
  batchSize?: number;
  /** Originals decoded at once (default 2). */
  concurrency?: number;
  /** Called after each batch (progress lines of the CLI). */
  onBatch?: (batch: BatchReport) => void;
  /** Called for each image that could not get a placeholder. */
  onFailure?: (failure: BackfillFailure) => void;
}

export interface BatchReport {
  batch: number;
  /** Originals looked at in this batch. */
  originals: number;
  /** Rows that got a placeholder in this batch. */
  updated: number;
  failed: number;
  /** The last sha256 of the batch: where the next batch starts. */
  after: string;
}

export interface BackfillFailure {
  sha256: string;
  /** `original_missing`, or the error code (`invalid_image`, `image_too_large`…). */
  code: string;
  message: string;
}

export interface BackfillReport {
  batches: number;
  originals: number;
  updated: number;
  failures: BackfillFailure[];
}

/** How many distinct originals still have live rows without a placeholder. */
export async function pendingPlaceholders(db: Db): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    'select count(distinct sha256) as n from images where deleted_at is null and placeholder is null',
  );
  return row?.n ?? 0;
}

export async function backfillPlaceholders(
  deps: BackfillDeps,
  options: BackfillOptions = {},
): Promise<BackfillReport> {
  const batchSize = options.batchSize ?? 100;
  const concurrency = options.concurrency ?? 2;
  const report: BackfillReport = { batches: 0, originals: 0, updated: 0, failures: [] };
  let after = '';
  for (;;) {
    const shas = await shasWithoutPlaceholder(deps.db, after, batchSize);
    if (shas.length === 0) return report;
    after = shas[shas.length - 1] as string;
    const batch: BatchReport = {
      batch: ++report.batches,
      originals: shas.length,
      updated: 0,
      failed: 0,
      after,
    };
    await forEachLimit(shas, concurrency, async (sha256) => {
      const outcome = await backfillOne(deps, sha256);
      if (typeof outcome === 'number') {
        batch.updated += outcome;
        return;
      }
      batch.failed++;
      report.failures.push(outcome);
      options.onFailure?.(outcome);
    });
    report.originals += batch.originals;
    report.updated += batch.updated;
    options.onBatch?.(batch);
  }
}

/** Rows updated, or why this original got no placeholder. Storage and database errors throw. */
async function backfillOne(deps: BackfillDeps, sha256: string): Promise<number | BackfillFailure> {
  const bytes = await deps.originals.read(sha256);
  if (!bytes) return { sha256, code: 'original_missing', message: 'the original is not in the store' };
  let placeholder: Placeholder;
  try {
    // The upload's own checks (without MAX_ANIMATION_FRAMES: the image is stored already), so the
    // backfill gives exactly the placeholder an upload of these bytes gives.
    ({ placeholder } = await checkUpload(bytes, { maxInputPixels: deps.maxInputPixels }));
  } catch (err) {
    if (!isImgedgeError(err)) throw err;
    return { sha256, code: err.code, message: err.message };
  }
  return fillPlaceholders(deps.db, sha256, placeholder);
}

/** Runs `fn` over `items`, at most `limit` at once; the first error stops new work and is thrown. */
async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}
