import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { encodeCursor } from '../../../origin/db/cursor.js';
import type { Db } from '../../../origin/db/driver.js';
import {
  countLiveBySha,
  findLiveBySha,
  getImage,
  type ImageRow,
  insertImage,
  listImages,
  type NewImage,
  softDeleteImage,
} from '../../../origin/db/images.js';
import { ImgedgeError } from '../../../shared/errors.js';
import { describeDb, itRealPostgres, openTestDb, type TestDb } from '../../support/db.js';

const sha = (seed: string) => createHash('sha256').update(seed).digest('hex');
const newId = () => randomBytes(16).toString('base64url');
const newOwner = () => `owner-${randomBytes(4).toString('hex')}`;

function image(owner: string, seed: string, over: Partial<NewImage> = {}): NewImage {
  return {
    id: newId(),
    owner,
    sha256: sha(seed),
    bytes: 1234,
    width: 640,
    height: 480,
    format: 'jpeg',
    hasAlpha: false,
    ...over,
  };
}

async function listAll(db: Db, owner: string, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await listImages(db, owner, { limit, cursor });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    ids.push(...page.items.map((i) => i.id));
    cursor = page.nextCursor;
    pages++;
    expect(pages).toBeLessThan(100);
  } while (cursor);
  return { ids, pages };
}

describeDb('images queries', () => {
  let t: TestDb;
  let db: Db;
  beforeAll(async () => {
    t = await openTestDb({ migrate: true });
    db = t.db;
  });
  afterAll(() => t?.close());

  it('inserts and reads back a typed camelCase row', async () => {
    const owner = newOwner();
    const input = image(owner, 'a', { bytes: 5_000_000_000, frames: 12, hasAlpha: true, format: 'webp' });
    const { record, created } = await insertImage(db, input);
    expect(created).toBe(true);
    expect(record).toEqual<ImageRow>({
      ...input,
      frames: 12,
      placeholder: null,
      focal: null,
      createdAt: expect.any(Date) as unknown as Date,
      deletedAt: null,
    });
    expect(Math.abs(record.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
    expect(await getImage(db, input.id)).toEqual(record);
    expect(await findLiveBySha(db, owner, input.sha256)).toEqual(record);
    expect(await getImage(db, 'no-such-id')).toBeNull();
    expect(await findLiveBySha(db, owner, sha('other'))).toBeNull();
  });

  it('defaults frames to 1', async () => {
    const { record } = await insertImage(db, image(newOwner(), 'frames'));
    expect(record.frames).toBe(1);
  });

  it('returns the existing live row for the same owner and bytes', async () => {
    const owner = newOwner();
    const first = await insertImage(db, image(owner, 'dup'));
    const again = await insertImage(db, image(owner, 'dup', { width: 1 }));
    expect(again.created).toBe(false);
    expect(again.record).toEqual(first.record);
    expect(await countLiveBySha(db, sha('dup'))).toBe(1);
  });

  it('still fails on an id collision rather than deduplicating it', async () => {
    const owner = newOwner();
    const first = await insertImage(db, image(owner, 'id-1'));
    await expect(insertImage(db, image(owner, 'id-2', { id: first.record.id }))).rejects.toMatchObject({
      code: '23505',
    });
  });

  it('works inside a caller transaction (as a savepoint)', async () => {
    const owner = newOwner();
    const result = await db.transaction(async (tx) => {
      const a = await insertImage(tx, image(owner, 'in-tx'));
      const b = await insertImage(tx, image(owner, 'in-tx'));
      return [a, b];
    });
    expect(result.map((r) => r.created)).toEqual([true, false]);
    expect(result[1]!.record.id).toBe(result[0]!.record.id);
  });

  it('dedupes 20 concurrent inserts of the same owner + sha256 to one row', async () => {
    const owner = newOwner();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => insertImage(db, image(owner, 'race'))),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.record.id)).size).toBe(1);
    const rows = await db.query<{ n: number }>('select count(*) as n from images where owner = $1', [owner]);
    expect(rows[0]!.n).toBe(1);
  });

  itRealPostgres('dedupes concurrent inserts arriving on separate connections and pools', async () => {
    const { connectDb } = await import('../../../origin/db/connect.js');
    const pools = await Promise.all(
      [1, 2, 3, 4].map(() => connectDb({ databaseUrl: t.url!, maxConnections: 5 })),
    );
    try {
      const owner = newOwner();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          insertImage(pools[i % pools.length]!, image(owner, 'pool-race')),
        ),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.record.id)).size).toBe(1);
    } finally {
      await Promise.all(pools.map((p) => p.close()));
    }
  });

  it('keeps owners apart', async () => {
    const alice = newOwner();
    const bob = newOwner();
    const a = await insertImage(db, image(alice, 'shared-bytes'));
    const b = await insertImage(db, image(bob, 'shared-bytes'));
    expect(a.created && b.created).toBe(true);
    expect(a.record.id).not.toBe(b.record.id);
    expect(await countLiveBySha(db, sha('shared-bytes'))).toBe(2);
    expect((await findLiveBySha(db, bob, sha('shared-bytes')))!.id).toBe(b.record.id);
    expect((await listImages(db, alice)).items.map((i) => i.id)).toEqual([a.record.id]);
    // Bob cannot delete Alice's image, and the attempt changes nothing.
    expect(await softDeleteImage(db, a.record.id, bob)).toBeNull();
    expect(await getImage(db, a.record.id)).not.toBeNull();
  });

  it('soft-deletes, hides the row, and lets the same bytes be uploaded again as a new row', async () => {
    const owner = newOwner();
    const first = await insertImage(db, image(owner, 'reupload'));
    const deleted = await softDeleteImage(db, first.record.id, owner);
    expect(deleted).toMatchObject({ id: first.record.id, deletedAt: expect.any(Date) });
    expect(await softDeleteImage(db, first.record.id, owner)).toBeNull();
    expect(await getImage(db, first.record.id)).toBeNull();
    expect(await findLiveBySha(db, owner, sha('reupload'))).toBeNull();
    expect(await countLiveBySha(db, sha('reupload'))).toBe(0);
    expect((await listImages(db, owner)).items).toEqual([]);

    const second = await insertImage(db, image(owner, 'reupload'));
    expect(second.created).toBe(true);
    expect(second.record.id).not.toBe(first.record.id);
    expect(await countLiveBySha(db, sha('reupload'))).toBe(1);
    // History is kept: two rows, one live.
    const rows = await db.query<{ live: boolean }>(
      'select deleted_at is null as live from images where owner = $1 order by created_at',
      [owner],
    );
    expect(rows.map((r) => r.live)).toEqual([false, true]);
  });

  it('paginates newest first across pages, ties in created_at included', async () => {
    const owner = newOwner();
    const ids: string[] = [];
    for (let i = 0; i < 11; i++) ids.push((await insertImage(db, image(owner, `page-${i}`))).record.id);
    // Ties: four rows share one instant, three sit 1 µs later (same JS millisecond), the rest older.
    await db.query(
      `update images set created_at = '2026-03-01T10:00:00.123456Z' where id = any($1::text[])`,
      [ids.slice(0, 4)],
    );
    await db.query(
      `update images set created_at = '2026-03-01T10:00:00.123457Z' where id = any($1::text[])`,
      [ids.slice(4, 7)],
    );
    await db.query(`update images set created_at = '2026-02-01T00:00:00Z' where id = any($1::text[])`, [
      ids.slice(7),
    ]);
    const expected = (
      await db.query<{ id: string }>(
        'select id from images where owner = $1 order by created_at desc, id desc',
        [owner],
      )
    ).map((r) => r.id);
    expect(expected.slice(0, 3).sort()).toEqual(ids.slice(4, 7).sort());

    for (const limit of [1, 2, 3, 4, 10, 11, 50]) {
      const { ids: got, pages } = await listAll(db, owner, limit);
      expect(got, `limit ${limit}`).toEqual(expected);
      expect(pages).toBe(Math.max(1, Math.ceil(11 / limit)));
    }
  });

  it('returns a last page without a cursor and an empty list for a new owner', async () => {
    expect(await listImages(db, newOwner())).toEqual({ items: [], nextCursor: null });
  });

  it('keeps a cursor stable while newer images arrive and older ones are deleted', async () => {
    const owner = newOwner();
    for (let i = 0; i < 5; i++) await insertImage(db, image(owner, `stable-${i}`));
    const first = await listImages(db, owner, { limit: 2 });
    await insertImage(db, image(owner, 'stable-new'));
    const rest = await listAll(db, owner, 100);
    const afterCursor = await listImages(db, owner, { limit: 100, cursor: first.nextCursor });
    expect(afterCursor.items.map((i) => i.id)).toEqual(rest.ids.slice(3));
    await softDeleteImage(db, afterCursor.items[0]!.id, owner);
    const afterDelete = await listImages(db, owner, { limit: 100, cursor: first.nextCursor });
    expect(afterDelete.items.map((i) => i.id)).toEqual(rest.ids.slice(4));
  });

  it('rejects tampered or garbage cursors with invalid_request', async () => {
    const owner = newOwner();
    await insertImage(db, image(owner, 'c1'));
    await insertImage(db, image(owner, 'c2'));
    const { nextCursor } = await listImages(db, owner, { limit: 1 });
    expect(nextCursor).toBeTruthy();
    const b64 = (s: string) => Buffer.from(s).toString('base64url');
    const bad = [
      '',
      'not a cursor',
      '!!!!',
      `${nextCursor}=`,
      `${nextCursor}A`,
      b64('hello'),
      b64('2026-13-01T00:00:00.000000Z|id'),
      b64('2026-02-30T00:00:00.000000Z|id'),
      b64('2026-02-01T00:00:00Z|id'),
      b64('2026-02-01T00:00:00.000000Z|'),
      b64("2026-02-01T00:00:00.000000Z'; drop table images; --|x"),
      b64(`2026-02-01T00:00:00.000000Z|a\u0000b`),
      'A'.repeat(2000),
    ];
    for (const cursor of bad) {
      const err = await listImages(db, owner, { cursor }).catch((e: unknown) => e);
      expect(err, cursor).toBeInstanceOf(ImgedgeError);
      expect((err as ImgedgeError).code).toBe('invalid_request');
    }
    // A well-formed cursor for some other position is not an error: it is only a position.
    const foreign = encodeCursor({ createdAt: '1999-01-01T00:00:00.000000Z', id: 'x' });
    expect(await listImages(db, owner, { cursor: foreign })).toEqual({ items: [], nextCursor: null });
  });

  it('rejects a limit outside 1..100', async () => {
    for (const limit of [0, -1, 101, 1.5, Number.NaN]) {
      await expect(listImages(db, newOwner(), { limit })).rejects.toMatchObject({ code: 'invalid_request' });
    }
  });

  it('counts live rows by sha256 across owners', async () => {
    const s = 'count-me';
    expect(await countLiveBySha(db, sha(s))).toBe(0);
    const rows = [];
    for (let i = 0; i < 3; i++) rows.push((await insertImage(db, image(newOwner(), s))).record);
    expect(await countLiveBySha(db, sha(s))).toBe(3);
    await softDeleteImage(db, rows[0]!.id, rows[0]!.owner);
    expect(await countLiveBySha(db, sha(s))).toBe(2);
  });
});
