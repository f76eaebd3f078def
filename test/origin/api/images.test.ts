/**
 * GET /api/v1/images (cursor pagination), GET /images/:id and DELETE /images/:id over real HTTP,
 * with what DELETE must do on disk: the original goes when no other live image uses its bytes,
 * and so do its cached variants.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../support/db.js';
import { onePixelPng, photoJpeg } from '../../support/images.js';
import { startTestOrigin, type TestOrigin } from '../../support/origin.js';
import {
  bearer,
  expectProblem,
  hasOriginal,
  type ImageRecord,
  ownerToken,
  uploadOk,
  variantFiles,
} from './helpers.js';

let origin: TestOrigin;

beforeAll(async () => {
  origin = await startTestOrigin();
});
afterAll(() => origin?.close());

interface Page {
  items: ImageRecord[];
  next_cursor: string | null;
}

async function list(token: string, query = ''): Promise<Response> {
  return fetch(`${origin.api}/images${query ? `?${query}` : ''}`, { headers: bearer(token) });
}

async function listOk(token: string, query = ''): Promise<Page> {
  const res = await list(token, query);
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as Page;
}

function del(token: string, id: string): Promise<Response> {
  return fetch(`${origin.api}/images/${id}`, { method: 'DELETE', headers: bearer(token) });
}

describeDb('origin API: GET /images', () => {
  const N = 7;
  let token: string;
  let uploaded: ImageRecord[];

  beforeAll(async () => {
    token = await ownerToken(origin, 'lister');
    uploaded = [];
    // One at a time, so creation order is upload order.
    for (let i = 0; i < N; i++)
      uploaded.push(await uploadOk(origin, await onePixelPng({ r: i, g: 50, b: 90 }), token));
    // Someone else's images never show up in this owner's listing.
    const other = await ownerToken(origin, 'someone-else');
    await uploadOk(origin, await onePixelPng({ r: 200, g: 1, b: 1 }), other);
  });

  it('walks every page with next_cursor: newest first, no duplicates, no gaps', async () => {
    const newestFirst = uploaded.map((r) => r.id).reverse();
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page = await listOk(
        token,
        `limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      sizes.push(page.items.length);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toEqual(newestFirst);
    const created = seen.map((id) => Date.parse(uploaded.find((u) => u.id === id)!.created_at));
    expect([...created].sort((a, b) => b - a)).toEqual(created);
  });

  it('returns the full records, the last page with next_cursor null, and the default limit', async () => {
    const all = await listOk(token);
    expect(all.next_cursor).toBeNull();
    expect(all.items).toEqual([...uploaded].reverse());
    const exact = await listOk(token, `limit=${N}`);
    expect(exact.items).toHaveLength(N);
    expect(exact.next_cursor).toBeNull();
    const one = await listOk(token, 'limit=1');
    expect(one.items.map((i) => i.id)).toEqual([uploaded[N - 1]!.id]);
    expect(typeof one.next_cursor).toBe('string');
  });

  it('a page after a delete neither skips nor repeats the remaining images', async () => {
    const tok = await ownerToken(origin, 'lister-delete');
    const mine: ImageRecord[] = [];
    for (let i = 0; i < 4; i++)
      mine.push(await uploadOk(origin, await onePixelPng({ r: i, g: 7, b: 7 }), tok));
    const first = await listOk(tok, 'limit=2');
    expect(first.items.map((i) => i.id)).toEqual([mine[3]!.id, mine[2]!.id]);
    expect((await del(tok, mine[2]!.id)).status).toBe(204);
    const second = await listOk(tok, `limit=2&cursor=${encodeURIComponent(first.next_cursor!)}`);
    expect(second.items.map((i) => i.id)).toEqual([mine[1]!.id, mine[0]!.id]);
    expect(second.next_cursor).toBeNull();
  });

  it('refuses a tampered cursor with 400 invalid_request', async () => {
    const page = await listOk(token, 'limit=2');
    const cursor = page.next_cursor!;
    // `<base64url(timestamp|id)>.<seal>`: the edits below change the inner cursor or the seal.
    const decoded = Buffer.from(cursor.slice(0, cursor.lastIndexOf('.')), 'base64url').toString('utf8');
    const [ts, id] = decoded.split('|') as [string, string];
    const enc = (text: string) => Buffer.from(text).toString('base64url');
    // Sanity: the cursor is what it is documented to be, so the edits below are real tamperings.
    expect(ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const tampered = [
      `${cursor}=`, // non-canonical base64
      `${cursor}!`,
      `${cursor.slice(0, 10)}.${cursor.slice(10)}`,
      enc(`${ts.slice(0, -1)}|${id}`), // no Z
      enc(`${ts.replace(/-\d\d-/, '-13-')}|${id}`), // month 13
      enc(`${ts.replace(/\.\d{6}Z$/, '.123Z')}|${id}`), // milliseconds only
      enc(`not-a-date|${id}`),
      enc(`${ts}${id}`), // no separator
      enc(`${ts}|`), // no id
      enc(`${ts}|${id}\u0000`), // control character
      'x'.repeat(300),
      "' or 1=1 --",
    ];
    for (const bad of tampered) {
      const res = await list(token, `limit=2&cursor=${encodeURIComponent(bad)}`);
      const problem = await expectProblem(res, 400, 'invalid_request');
      expect(problem.detail, bad).toMatch(/cursor/);
    }
  });

  it('refuses a cursor sealed for another owner, or re-sealed by hand, with 400', async () => {
    const mine = (await listOk(token, 'limit=2')).next_cursor!;
    const other = await ownerToken(origin, 'someone-else');
    const theirs = await list(other, `limit=2&cursor=${encodeURIComponent(mine)}`);
    expect((await expectProblem(theirs, 400, 'invalid_request')).parameter).toBe('cursor');
    // A well-formed inner cursor with a forged seal (any edit of the position) is refused too.
    const inner = mine.slice(0, mine.lastIndexOf('.'));
    const forged = `${inner}.${Buffer.alloc(16).toString('base64url')}`;
    await expectProblem(
      await list(token, `limit=2&cursor=${encodeURIComponent(forged)}`),
      400,
      'invalid_request',
    );
    await expectProblem(
      await list(token, `limit=2&cursor=${encodeURIComponent(inner)}`),
      400,
      'invalid_request',
    );
    // The genuine cursor still pages on.
    expect((await listOk(token, `limit=2&cursor=${encodeURIComponent(mine)}`)).items).toHaveLength(2);
  });

  it('refuses a limit out of range with 400 invalid_request naming the parameter', async () => {
    for (const limit of ['0', '101', '-1', '2.5', 'ten', '', 'abc']) {
      const problem = await expectProblem(await list(token, `limit=${limit}`), 400, 'invalid_request');
      expect(problem.parameter).toBe('limit');
      // Worded like an invalid image option ("w must be an integer from 1 to 8192, got …").
      expect(problem.detail).toBe(`limit must be an integer from 1 to 100, got ${JSON.stringify(limit)}`);
      expect(problem).toMatchObject({ key: 'limit', value: limit, allowed: '1..100' });
    }
    expect((await listOk(token, 'limit=100')).items).toHaveLength(N);
  });

  it('GET /images/:id returns the record; an unknown or malformed id is 404', async () => {
    const res = await fetch(`${origin.api}/images/${uploaded[2]!.id}`, { headers: bearer(token) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(uploaded[2]);
    for (const id of ['AAAAAAAAAAAAAAAAAAAAAA', 'x', '..%2F..%2Fetc%2Fpasswd', "1' or '1'='1"]) {
      await expectProblem(
        await fetch(`${origin.api}/images/${id}`, { headers: bearer(token) }),
        404,
        'not_found',
      );
    }
  });
});

describeDb('origin API: DELETE /images/:id', () => {
  it('204, then GET 404 and gone from the list; the original and its variants are removed', async () => {
    const token = await ownerToken(origin, 'deleter');
    const bytes = await photoJpeg(160, 120, 21);
    const image = await uploadOk(origin, bytes, token);
    const variant = await origin.variant(`w=80,f=webp/${image.id}`);
    expect(variant.status).toBe(200);
    expect(await variantFiles(origin, image.sha256)).toHaveLength(1);
    expect(await hasOriginal(origin, image.sha256)).toBe(true);

    const res = await del(token, image.id);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    await expectProblem(
      await fetch(`${origin.api}/images/${image.id}`, { headers: bearer(token) }),
      404,
      'not_found',
    );
    expect((await listOk(token)).items).toEqual([]);
    await expectProblem(await del(token, image.id), 404, 'not_found');
    expect(await hasOriginal(origin, image.sha256)).toBe(false);
    expect(await variantFiles(origin, image.sha256)).toEqual([]);
    await expectProblem(await origin.variant(`w=80,f=webp/${image.id}`), 404, 'not_found');
  });

  it("keeps the original and variants while another owner's image uses the same bytes", async () => {
    const a = await ownerToken(origin, 'shared-a');
    const b = await ownerToken(origin, 'shared-b');
    const bytes = await photoJpeg(160, 120, 22);
    const imgA = await uploadOk(origin, bytes, a);
    const imgB = await uploadOk(origin, bytes, b);
    expect(imgB.sha256).toBe(imgA.sha256);
    expect((await origin.variant(`w=64,f=png/${imgB.id}`)).status).toBe(200);

    expect((await del(a, imgA.id)).status).toBe(204);
    expect(await hasOriginal(origin, imgA.sha256)).toBe(true);
    expect(await variantFiles(origin, imgA.sha256)).toHaveLength(1);
    // B's image still serves, from the cache and as a fresh transform of the original.
    const cached = await origin.variant(`w=64,f=png/${imgB.id}`);
    expect(cached.status).toBe(200);
    expect(cached.headers.get('x-variant-cache')).toBe('HIT');
    expect((await origin.variant(`w=65,f=png/${imgB.id}`)).status).toBe(200);
    // A's deleted id no longer serves variants even though the bytes are still there.
    await expectProblem(await origin.variant(`w=64,f=png/${imgA.id}`), 404, 'not_found');

    // A re-uploads the bytes: a new image, served from the same original.
    const again = await uploadOk(origin, bytes, a);
    expect(again.id).not.toBe(imgA.id);
    expect((await del(a, again.id)).status).toBe(204);

    // The last user of the bytes deletes: now the file and every variant go.
    expect((await del(b, imgB.id)).status).toBe(204);
    expect(await hasOriginal(origin, imgA.sha256)).toBe(false);
    expect(await variantFiles(origin, imgA.sha256)).toEqual([]);
  });
});
