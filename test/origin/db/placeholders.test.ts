/**
 * The placeholder column (migration 0003_image_placeholders) on this run's backend: additive —
 * rows written before it read `placeholder: null`, and the previous release's INSERT (no
 * placeholder column) still works after it — and the queries the upload and the backfill use.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Db } from '../../../origin/db/driver.js';
import {
  fillPlaceholders,
  getImage,
  insertImage,
  shasWithoutPlaceholder,
} from '../../../origin/db/images.js';
import { appliedVersions, migrate } from '../../../origin/db/migrate.js';
import { MIGRATIONS } from '../../../origin/db/migrations/index.js';
import { describeDb, openTestDb, type TestDb } from '../../support/db.js';

const sha = (seed: string) => createHash('sha256').update(seed).digest('hex');
const P1 = { thumbhash: 'HBkSHYSIeHiPiHh8eJd4eTN0EEQG', color: '#8a7b6c' };
const P2 = { thumbhash: '1QcSHQRnh493V4dIh4eXh1h4kJUI', color: '#102030' };

/** The previous release's INSERT: it knows nothing of placeholders. */
function insertAsBefore(db: Db, id: string, seed: string, owner = 'before') {
  return db.query(
    `insert into images (id, owner, sha256, bytes, width, height, format, frames, has_alpha)
     values ($1, $2, $3, 10, 4, 3, 'jpeg', 1, false)`,
    [id, owner, sha(seed)],
  );
}

describeDb('placeholders in the database', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb();
  });
  afterAll(() => t?.close());

  it('the migration is additive: old rows read null, the old INSERT keeps working', async () => {
    const before = MIGRATIONS.filter((m) => m.version < '0003_image_placeholders');
    await migrate(t.db, before);
    await insertAsBefore(t.db, 'rowBeforeMigration1', 'old-1');
    expect(await migrate(t.db)).toContain('0003_image_placeholders');
    expect(await appliedVersions(t.db)).toEqual(MIGRATIONS.map((m) => m.version));
    expect((await getImage(t.db, 'rowBeforeMigration1'))?.placeholder).toBeNull();
    // The previous release still running beside the new one (blue-green).
    await insertAsBefore(t.db, 'rowFromOldRelease1', 'old-2');
    expect((await getImage(t.db, 'rowFromOldRelease1'))?.placeholder).toBeNull();
  });

  it('round-trips a placeholder as an object on insert', async () => {
    const { record } = await insertImage(t.db, {
      id: 'rowWithPlaceholder1',
      owner: 'new',
      sha256: sha('new-1'),
      bytes: 10,
      width: 4,
      height: 3,
      format: 'jpeg',
      hasAlpha: false,
      placeholder: P1,
    });
    expect(record.placeholder).toEqual(P1);
    expect((await getImage(t.db, 'rowWithPlaceholder1'))?.placeholder).toEqual(P1);
  });

  it('fillPlaceholders sets live rows of the bytes that have none, never overwrites, never a deleted row', async () => {
    await insertAsBefore(t.db, 'twinLiveA_000001', 'twins', 'a');
    await insertAsBefore(t.db, 'twinLiveB_000001', 'twins', 'b');
    await insertAsBefore(t.db, 'twinDeleted_00001', 'twins', 'c');
    await t.db.query(`update images set deleted_at = now() where id = 'twinDeleted_00001'`);
    await t.db.query(`update images set placeholder = $1::text::jsonb where id = 'twinLiveB_000001'`, [
      JSON.stringify(P2),
    ]);
    expect(await fillPlaceholders(t.db, sha('twins'), P1)).toBe(1);
    expect((await getImage(t.db, 'twinLiveA_000001'))?.placeholder).toEqual(P1);
    expect((await getImage(t.db, 'twinLiveB_000001'))?.placeholder).toEqual(P2);
    const [deleted] = await t.db.query<{ placeholder: unknown }>(
      `select placeholder from images where id = 'twinDeleted_00001'`,
    );
    expect(deleted!.placeholder).toBeNull();
    expect(await fillPlaceholders(t.db, sha('twins'), P2)).toBe(0);
  });

  it('shasWithoutPlaceholder pages through distinct live sha256 in order', async () => {
    const pending = [sha('old-1'), sha('old-2')].sort();
    expect(await shasWithoutPlaceholder(t.db, '', 10)).toEqual(pending);
    expect(await shasWithoutPlaceholder(t.db, '', 1)).toEqual([pending[0]]);
    expect(await shasWithoutPlaceholder(t.db, pending[0]!, 10)).toEqual([pending[1]]);
    expect(await shasWithoutPlaceholder(t.db, pending[1]!, 10)).toEqual([]);
  });
});
