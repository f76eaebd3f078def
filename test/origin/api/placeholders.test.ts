/**
 * Placeholders through the API over real HTTP: the upload's 201, GET /images/:id and the list
 * carry `placeholder: {thumbhash, color}`; a record from before placeholders reads
 * `placeholder: null` (reading never computes one) until the same bytes are uploaded again (or
 * the backfill runs: backfill.test.ts), which fills every live twin and never a deleted row.
 */
import sharp from 'sharp';
import { thumbHashToApproximateAspectRatio, thumbHashToAverageRGBA } from 'thumbhash';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../support/db.js';
import { startTestOrigin, type TestOrigin } from '../../support/origin.js';
import { bearer, type ImageRecord, ownerToken } from './helpers.js';

let origin: TestOrigin;

beforeAll(async () => {
  origin = await startTestOrigin();
});
afterAll(() => origin?.close());

/** A flat 400×200 PNG of `colour`, with a distinct pixel so each seed gives other bytes. */
function flatPng(colour: string, seed: number): Promise<Buffer> {
  const dot = Buffer.from([seed & 255, (seed >> 8) & 255, 7]);
  return sharp({ create: { width: 400, height: 200, channels: 3, background: colour } })
    .composite([{ input: dot, raw: { width: 1, height: 1, channels: 3 }, left: 0, top: 0 }])
    .png()
    .toBuffer();
}

async function upload(bytes: Buffer, token: string, status: number): Promise<ImageRecord> {
  const res = await origin.upload(bytes, token, 'image/png');
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as ImageRecord;
}

async function getRecord(id: string, token: string): Promise<ImageRecord> {
  const res = await fetch(`${origin.api}/images/${id}`, { headers: bearer(token) });
  expect(res.status).toBe(200);
  return (await res.json()) as ImageRecord;
}

async function listed(token: string): Promise<ImageRecord[]> {
  const res = await fetch(`${origin.api}/images`, { headers: bearer(token) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: ImageRecord[] }).items;
}

/** Make a row look like one stored before placeholders existed. */
async function forgetPlaceholder(id: string): Promise<void> {
  await origin.db.query('update images set placeholder = null where id = $1', [id]);
}

describeDb('origin API: placeholders', () => {
  it('the 201, GET /images/:id and the list carry the same placeholder, made from the image', async () => {
    const token = await ownerToken(origin, 'lqip-reader');
    const created = await upload(await flatPng('#2080c0', 1), token, 201);
    expect(created.placeholder).not.toBeNull();
    const { thumbhash, color } = created.placeholder!;
    expect(color).toBe('#2080c0');
    const hash = Buffer.from(thumbhash, 'base64');
    expect(thumbHashToApproximateAspectRatio(hash)).toBeCloseTo(2, 0);
    const avg = thumbHashToAverageRGBA(hash);
    expect(Math.abs(avg.r * 255 - 0x20)).toBeLessThan(8);
    expect(Math.abs(avg.b * 255 - 0xc0)).toBeLessThan(8);
    expect((await getRecord(created.id, token)).placeholder).toEqual(created.placeholder);
    expect((await listed(token)).find((i) => i.id === created.id)?.placeholder).toEqual(created.placeholder);
  });

  it('a record without one reads placeholder: null, in GET and in the list (not computed on read)', async () => {
    const token = await ownerToken(origin, 'lqip-old');
    const created = await upload(await flatPng('#c04020', 2), token, 201);
    await forgetPlaceholder(created.id);
    const record = await getRecord(created.id, token);
    expect(record).toHaveProperty('placeholder', null);
    expect((await listed(token))[0]).toHaveProperty('placeholder', null);
    // Reading twice changes nothing: still null in the database.
    await getRecord(created.id, token);
    const [row] = await origin.db.query<{ placeholder: unknown }>(
      'select placeholder from images where id = $1',
      [created.id],
    );
    expect(row!.placeholder).toBeNull();
  });

  it('uploading the same bytes again fills it: the 200 and the live twins of other owners, never a deleted row', async () => {
    const bytes = await flatPng('#40c020', 3);
    const [a, b, c] = await Promise.all(['lqip-a', 'lqip-b', 'lqip-c'].map((o) => ownerToken(origin, o)));
    const first = await upload(bytes, a!, 201);
    const twin = await upload(bytes, b!, 201);
    const gone = await upload(bytes, c!, 201);
    expect(first.placeholder).not.toBeNull();
    expect(twin.placeholder).toEqual(first.placeholder);
    const deleted = await fetch(`${origin.api}/images/${gone.id}`, { method: 'DELETE', headers: bearer(c!) });
    expect(deleted.status).toBe(204);
    for (const id of [first.id, twin.id, gone.id]) await forgetPlaceholder(id);

    const again = await upload(bytes, a!, 200);
    expect(again.id).toBe(first.id);
    expect(again.placeholder).toEqual(first.placeholder);
    expect((await getRecord(first.id, a!)).placeholder).toEqual(first.placeholder);
    expect((await getRecord(twin.id, b!)).placeholder).toEqual(first.placeholder);
    const [row] = await origin.db.query<{ placeholder: unknown }>(
      'select placeholder from images where id = $1',
      [gone.id],
    );
    expect(row!.placeholder).toBeNull();
  });

  it('the database refuses a malformed placeholder (shape check)', async () => {
    const token = await ownerToken(origin, 'lqip-check');
    const created = await upload(await flatPng('#101010', 4), token, 201);
    for (const bad of [
      { thumbhash: 'not base64!', color: '#101010' },
      { thumbhash: 'AAAA', color: 'red' },
      { thumbhash: 'AAAA' },
      { color: '#101010' },
      { thumbhash: 'AAAA', color: '#101010', extra: 1 },
      { thumbhash: 12345678, color: '#101010' },
      ['AAAA', '#101010'],
    ]) {
      await expect(
        origin.db.query('update images set placeholder = $2::text::jsonb where id = $1', [
          created.id,
          JSON.stringify(bad),
        ]),
      ).rejects.toMatchObject({ code: '23514' });
    }
  });
});
