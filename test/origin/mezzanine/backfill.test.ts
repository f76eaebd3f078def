/**
 * `npm run backfill -- mezzanines`, in process, against a real origin's database and store (local
 * folder, or s3rver with IMGEDGE_TEST_STORAGE=s3): rows inserted as an older release did (no
 * mezzanine made) get one; small originals and animations get none; deleted rows are skipped; a
 * missing original is reported; a second run makes nothing.
 */
import { writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { insertImage } from '../../../origin/db/images.js';
import { backfillMezzanines } from '../../../origin/mezzanine/backfill.js';
import { createMezzanineStore } from '../../../origin/mezzanine/create.js';
import type { MezzanineStore } from '../../../origin/mezzanine/store.js';
import { describeDb } from '../../support/db.js';
import { animatedGif, photoJpeg } from '../../support/images.js';
import { startTestOrigin, type TestOrigin } from '../../support/origin.js';
import { sha256Hex } from '../api/helpers.js';

let origin: TestOrigin;
let store: MezzanineStore;

beforeAll(async () => {
  origin = await startTestOrigin({ MEZZANINES: 'false' });
  store = createMezzanineStore(origin.config);
});
afterAll(() => origin?.close());

let counter = 0;
/** Store the bytes and insert a row for them, as a release before mezzanines did. */
async function oldImage(bytes: Buffer, deleted = false, storeBytes = true): Promise<string> {
  const sha256 = sha256Hex(bytes);
  if (storeBytes) {
    const temp = origin.originals.tempPath();
    await writeFile(temp, bytes);
    await origin.originals.commit(temp, sha256);
  }
  const meta = await sharp(bytes).metadata();
  const id = `mezzBackfill${String(++counter).padStart(10, '0')}`;
  await insertImage(origin.db, {
    id,
    owner: 'mezz-backfill',
    sha256,
    bytes: bytes.length,
    width: meta.width,
    height: meta.pages && meta.pages > 1 ? (meta.pageHeight ?? meta.height) : meta.height,
    format: meta.format,
    frames: meta.pages ?? 1,
    hasAlpha: meta.hasAlpha,
  });
  if (deleted) await origin.db.query('update images set deleted_at = now() where id = $1', [id]);
  return sha256;
}

const big = (seed: number) =>
  photoJpeg(300, 200, seed).then((b) => sharp(b).resize(3000, 2000).jpeg().toBuffer());

describeDb('mezzanine backfill', () => {
  it('makes the missing ones, skips small, animated and deleted images, reports missing originals', async () => {
    const large = await oldImage(await big(1));
    const small = await oldImage(await photoJpeg(600, 400, 2));
    const gif = await oldImage(await animatedGif());
    const gone = await oldImage(await big(3), true);
    const missing = await oldImage(await big(4), false, false);
    const deps = { db: origin.db, originals: origin.originals, store, maxInputPixels: 50_000_000 };

    const first = await backfillMezzanines(deps);
    expect(first).toMatchObject({ originals: 4, made: 1, present: 0, none: 2 });
    expect(first.failures).toEqual([expect.objectContaining({ sha256: missing, code: 'original_missing' })]);
    for (const [level, width] of [
      [2048, 2048],
      [1024, 1024],
    ] as const) {
      const made = await store.get(large, level);
      expect(made && (await sharp(made).metadata()).width).toBe(width);
      for (const sha of [small, gif, gone, missing]) expect(await store.has(sha, level)).toBe(false);
    }

    const second = await backfillMezzanines(deps);
    expect(second).toMatchObject({ originals: 4, made: 0, present: 1, none: 2 });

    // A level lost (a run cut off between its writes): the next run makes it again.
    const top = await store.get(large, 2048);
    if (!top) throw new Error('no top level');
    await store.remove(large);
    await store.put(large, 2048, top);
    expect(await store.has(large, 1024)).toBe(false);
    const third = await backfillMezzanines(deps);
    expect(third).toMatchObject({ made: 1, present: 0 });
    expect(await store.has(large, 1024)).toBe(true);
  });
});
