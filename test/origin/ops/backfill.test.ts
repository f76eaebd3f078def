/**
 * The placeholder backfill (`npm run backfill -- placeholders`) for images stored before uploads
 * made placeholders:
 * - in process, against a real origin's database and store (local folder, or s3rver under
 *   `npm run test:s3`): every live row gets exactly the placeholder an upload of its bytes gives,
 *   twins share one decode, deleted rows are left alone, missing and undecodable originals are
 *   reported and skipped, a second run does nothing, a run stopped half-way is finished by the next;
 * - as the real CLI process, on this run's backend (its own Postgres database, or a PGLITE_DIR),
 *   reading originals from the local folder and from an S3 bucket (s3rver): JSON progress lines,
 *   exit codes, a store that is down stops the run.
 */
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../../origin/config/load.js';
import { connectDb } from '../../../origin/db/connect.js';
import type { Db } from '../../../origin/db/driver.js';
import { insertImage } from '../../../origin/db/images.js';
import { migrate } from '../../../origin/db/migrate.js';
import {
  type BatchReport,
  backfillPlaceholders,
  pendingPlaceholders,
} from '../../../origin/images/backfill-placeholders.js';
import type { Placeholder } from '../../../origin/images/placeholder.js';
import { createOriginalStore } from '../../../origin/storage/create.js';
import type { OriginalStore } from '../../../origin/storage/originals.js';
import { describeDb } from '../../support/db.js';
import { alphaPng, animatedGif, garbage, orientation6Jpeg, photoJpeg } from '../../support/images.js';
import {
  startTestOrigin,
  TEST_ORIGIN_TOKEN,
  TEST_SECRET_KEY,
  type TestOrigin,
} from '../../support/origin.js';
import { startS3, type TestS3 } from '../../support/s3.js';
import { type IsolatedDatabase, isolatedDatabase, runEntry, tempDirs } from '../../support/spawn-origin.js';
import { ownerToken, sha256Hex } from '../api/helpers.js';

type Row = { id: string; sha256: string; placeholder: Placeholder | null; deleted: boolean };

async function rows(db: Db): Promise<Row[]> {
  return db.query<Row>(
    'select id, sha256, placeholder, deleted_at is not null as deleted from images order by id',
  );
}

/** Store `bytes` under their content address, as an upload does. */
async function storeOriginal(store: OriginalStore, bytes: Buffer): Promise<string> {
  const sha256 = sha256Hex(bytes);
  const temp = store.tempPath();
  await writeFile(temp, bytes);
  await store.commit(temp, sha256);
  return sha256;
}

let counter = 0;
/** A row for `sha256` as the previous release inserted it: no placeholder. */
function oldRow(db: Db, sha256: string, owner = 'backfill-owner') {
  counter++;
  return insertImage(db, {
    id: `backfillRow${String(counter).padStart(8, '0')}`,
    owner,
    sha256,
    bytes: 100,
    width: 10,
    height: 10,
    format: 'png',
    hasAlpha: false,
  });
}

describeDb('placeholder backfill (in process)', () => {
  let origin: TestOrigin;
  /** What uploads made, by sha256: the backfill must give exactly these. */
  const uploaded = new Map<string, Placeholder>();
  let missingSha: string;
  let garbageSha: string;

  const deps = () => ({ db: origin.db, originals: origin.originals, maxInputPixels: 50_000_000 });
  const nullAll = () => origin.db.query('update images set placeholder = null');

  beforeAll(async () => {
    origin = await startTestOrigin();
    const [a, b] = await Promise.all([ownerToken(origin, 'bf-a'), ownerToken(origin, 'bf-b')]);
    const inputs = [
      await photoJpeg(320, 240, 21),
      await alphaPng(),
      await animatedGif(),
      await orientation6Jpeg(),
      await photoJpeg(64, 64, 22),
    ];
    for (const bytes of inputs) {
      const res = await origin.upload(bytes, a!, 'image/png');
      expect(res.status).toBe(201);
      const record = (await res.json()) as { sha256: string; placeholder: Placeholder };
      uploaded.set(record.sha256, record.placeholder);
    }
    // A twin (same bytes, other owner) and a deleted twin of the first image.
    expect((await origin.upload(inputs[0]!, b!, 'image/jpeg')).status).toBe(201);
    const gone = await oldRow(origin.db, sha256Hex(inputs[0]!), 'bf-deleted');
    await origin.db.query('update images set deleted_at = now() where id = $1', [gone.record.id]);
    // A row whose original is gone, and one whose original is not an image.
    missingSha = sha256Hex(Buffer.from('never stored'));
    await oldRow(origin.db, missingSha);
    garbageSha = await storeOriginal(origin.originals, garbage());
    await oldRow(origin.db, garbageSha);
  });
  afterAll(() => origin?.close());

  it('gives every live row the placeholder its upload gave; reports missing and undecodable originals', async () => {
    await nullAll();
    expect(await pendingPlaceholders(origin.db)).toBe(7);
    const batches: BatchReport[] = [];
    const report = await backfillPlaceholders(deps(), {
      batchSize: 2,
      concurrency: 2,
      onBatch: (b) => batches.push(b),
    });

    expect(report.originals).toBe(7);
    expect(report.updated).toBe(6); // 5 images + the live twin
    expect(report.failures.map((f) => [f.sha256, f.code]).sort()).toEqual(
      [
        [missingSha, 'original_missing'],
        [garbageSha, 'invalid_image'],
      ].sort(),
    );
    // Batches of 2 in sha256 order, each starting after the last.
    expect(batches.map((b) => b.originals)).toEqual([2, 2, 2, 1]);
    const afters = batches.map((b) => b.after);
    expect([...afters].sort()).toEqual(afters);

    for (const row of await rows(origin.db)) {
      if (row.deleted || row.sha256 === missingSha || row.sha256 === garbageSha) {
        expect(row.placeholder, row.id).toBeNull();
      } else {
        expect(row.placeholder, row.id).toEqual(uploaded.get(row.sha256));
      }
    }
    expect(await pendingPlaceholders(origin.db)).toBe(2);
  });

  it('is idempotent: a second run sets nothing (and retries only what failed)', async () => {
    const before = await rows(origin.db);
    const report = await backfillPlaceholders(deps());
    expect(report.updated).toBe(0);
    expect(report.originals).toBe(2);
    expect(report.failures).toHaveLength(2);
    expect(await rows(origin.db)).toEqual(before);
  });

  it('is resumable: a run stopped after its first batch keeps it, the next run does the rest', async () => {
    await nullAll();
    const stopped = backfillPlaceholders(deps(), {
      batchSize: 3,
      onBatch: () => {
        throw new Error('killed after the first batch');
      },
    });
    await expect(stopped).rejects.toThrow('killed after the first batch');
    // The first batch is the three lowest sha256 values; the two that cannot be done stay pending.
    const live = [...new Set((await rows(origin.db)).filter((r) => !r.deleted).map((r) => r.sha256))].sort();
    const firstBatch = live.slice(0, 3).filter((sha) => sha !== missingSha && sha !== garbageSha);
    const done = (await rows(origin.db)).filter((r) => r.placeholder !== null);
    expect([...new Set(done.map((r) => r.sha256))].sort()).toEqual(firstBatch);
    expect(await pendingPlaceholders(origin.db)).toBe(7 - firstBatch.length);

    const rest = await backfillPlaceholders(deps(), { batchSize: 3 });
    expect(rest.updated + done.length).toBe(6);
    expect(await pendingPlaceholders(origin.db)).toBe(2);
  });

  it('uploads and the backfill agree with the API: GET shows the backfilled placeholder', async () => {
    const token = await ownerToken(origin, 'bf-a');
    const res = await fetch(`${origin.api}/images?limit=100`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const { items } = (await res.json()) as { items: { sha256: string; placeholder: Placeholder | null }[] };
    expect(items).toHaveLength(5);
    for (const item of items) expect(item.placeholder).toEqual(uploaded.get(item.sha256));
  });
});

describeDb('placeholder backfill (the CLI process)', () => {
  let database: IsolatedDatabase;
  let dirs: Awaited<ReturnType<typeof tempDirs>>;
  let s3: TestS3 | undefined;

  beforeAll(async () => {
    database = await isolatedDatabase();
    dirs = await tempDirs();
  });
  afterAll(async () => {
    await s3?.destroy();
    await database?.close();
    await dirs?.remove();
  });

  /** The database of this case, open only while `fn` runs (a PGLITE_DIR has one process at a time). */
  async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    const db = await connectDb({
      databaseUrl: database.env.DATABASE_URL,
      pgliteDir: database.env.PGLITE_DIR,
      maxConnections: 2,
    });
    try {
      await migrate(db);
      return await fn(db);
    } finally {
      await db.close();
    }
  }

  const env = (extra: Record<string, string> = {}) => ({
    ...database.env,
    SECRET_KEY: TEST_SECRET_KEY,
    ORIGIN_AUTH_TOKEN: TEST_ORIGIN_TOKEN,
    UPLOAD_DIR: dirs.upload,
    // The AWS SDK's warning that it wants Node ≥ 22 (this machine runs 20) is not the CLI's output.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  });
  // Each CLI run starts a process (tsx); on PGlite each database open replays the folder: minutes
  // on a busy machine, hence the long timeouts of these cases.
  const cli = (args: string[], extra?: Record<string, string>) =>
    runEntry('origin/cli/backfill.ts', args, env(extra), 120_000);
  const lines = (stdout: string) =>
    stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('bad usage exits 2 with the usage text, touching nothing', async () => {
    for (const args of [
      [],
      ['thumbnails'],
      ['placeholders', 'extra'],
      ['placeholders', '--batch-size', '0'],
    ]) {
      const run = await cli(args);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/usage:\n\s+backfill placeholders/);
      expect(run.stdout).toBe('');
    }
  }, 180_000);

  it('local originals: JSON progress, exit 0, placeholders set; a second run finds nothing to do', async () => {
    const store = createOriginalStore({ uploadDir: dirs.upload, s3: undefined, originalCacheBytes: 0 });
    await store.init();
    const images = [await photoJpeg(200, 150, 31), await alphaPng(), await animatedGif()];
    const shas = await Promise.all(images.map((bytes) => storeOriginal(store, bytes)));
    await withDb(async (db) => {
      for (const sha of shas) await oldRow(db, sha);
    });

    const run = await cli(['placeholders', '--batch-size', '2', '--concurrency', '1']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const out = lines(run.stdout);
    expect(out[0]).toEqual({ pending: 3 });
    expect(out.slice(1, -1).map((l) => [l.batch, l.originals, l.updated, l.failed])).toEqual([
      [1, 2, 2, 0],
      [2, 1, 1, 0],
    ]);
    expect(out.at(-1)).toEqual({ done: true, originals: 3, updated: 3, failed: 0, pending: 0 });
    const stored = await withDb(rows);
    expect(stored.every((r) => r.placeholder !== null)).toBe(true);
    // The alpha PNG's colour is its opaque half: red.
    expect(stored.find((r) => r.sha256 === shas[1])!.placeholder!.color).toBe('#ff0000');

    const again = await cli(['placeholders']);
    expect(again.code, again.stderr).toBe(0);
    expect(lines(again.stdout)).toEqual([
      { pending: 0 },
      { done: true, originals: 0, updated: 0, failed: 0, pending: 0 },
    ]);
  }, 180_000);

  it('originals in an S3 bucket: read through the store; a missing one exits 1 naming it; a store that is down stops the run', async () => {
    s3 = await startS3();
    // The store exactly as the CLI makes it from the same variables.
    const bucket = createOriginalStore({ ...loadConfig(env(s3.env)), originalCacheBytes: 0 });
    await bucket.init();
    const inBucket = await storeOriginal(bucket, await photoJpeg(120, 90, 41));
    const missing = sha256Hex(Buffer.from('not in the bucket'));
    await withDb(async (db) => {
      await oldRow(db, inBucket);
      await oldRow(db, missing);
    });

    const run = await cli(['placeholders'], s3.env);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`backfill: ${missing}: original_missing: the original is not in the store\n`);
    expect(lines(run.stdout).at(-1)).toEqual({ done: true, originals: 2, updated: 1, failed: 1, pending: 1 });
    const stored = await withDb(rows);
    expect(stored.find((r) => r.sha256 === inBucket)!.placeholder).not.toBeNull();

    // The bucket goes away: the run stops with the store's error (exit 1), nothing is recorded.
    const another = await storeOriginal(bucket, await photoJpeg(120, 90, 42));
    await withDb((db) => oldRow(db, another));
    await s3.stop();
    const down = await cli(['placeholders'], s3.env);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^backfill: S3 GetObject .*ECONNREFUSED/);
    expect(down.stdout).not.toContain('"done"');
    expect((await withDb(rows)).find((r) => r.sha256 === another)!.placeholder).toBeNull();
  }, 180_000);
});
