/**
 * GET /internal/v1/variants/<canonical>/<id>?format=… over real HTTP: the origin token, canonical
 * options only, bytes that decode with sharp to the asked size and format, and the caching
 * headers (strong stable ETag, immutable, Server-Timing, X-Variant-Cache MISS → HIT).
 */
import sharp, { type Metadata } from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../support/db.js';
import { alphaPng, animatedGif, photoJpeg } from '../../support/images.js';
import { startTestOrigin, type TestOrigin } from '../../support/origin.js';
import { expectProblem, type ImageRecord, sha256Hex, uploadOk } from './helpers.js';

let origin: TestOrigin;
let photo: ImageRecord; // 640×480 JPEG
let alpha: ImageRecord; // 200×100 PNG with alpha
let gif: ImageRecord; // 120×90, 3 frames

beforeAll(async () => {
  origin = await startTestOrigin();
  const token = await origin.craftToken({ sub: 'variants-owner' });
  photo = await uploadOk(origin, await photoJpeg(640, 480, 4), token);
  alpha = await uploadOk(origin, await alphaPng(), token);
  gif = await uploadOk(origin, await animatedGif(), token);
});
afterAll(() => origin?.close());

async function decoded(res: Response) {
  const text = res.status === 200 ? undefined : await res.clone().text();
  expect(res.status, text).toBe(200);
  const bytes = Buffer.from(await res.arrayBuffer());
  expect(Number(res.headers.get('content-length'))).toBe(bytes.byteLength);
  const meta = await sharp(bytes, { animated: true }).metadata();
  return { bytes, meta };
}

/** sharp reports AVIF as heif with av1 compression. */
function formatOf(meta: Metadata): string {
  return meta.format === 'heif' && meta.compression === 'av1' ? 'avif' : meta.format;
}

describeDb('origin API: GET /internal/v1/variants', () => {
  it('refuses requests without the origin token with 403 forbidden', async () => {
    const url = `${origin.url}/internal/v1/variants/w=100/${photo.id}?format=webp`;
    await expectProblem(await fetch(url), 403, 'forbidden');
    for (const authorization of [
      'Bearer wrong-token',
      'Bearer ',
      `Basic ${Buffer.from('edge:token').toString('base64')}`,
      // The API's JWTs are no use here either.
      `Bearer ${await origin.craftToken({})}`,
    ]) {
      await expectProblem(await fetch(url, { headers: { authorization } }), 403, 'forbidden');
    }
    expect((await origin.variant(`w=100/${photo.id}`, 'format=webp')).status).toBe(200);
  });

  it.each([
    ['w=200', 'format=webp', 'webp', 'image/webp', 200, 150],
    ['w=160,h=160,fit=cover', 'format=avif', 'avif', 'image/avif', 160, 160],
    ['w=320', 'format=jpeg', 'jpeg', 'image/jpeg', 320, 240],
    ['w=100,f=png', '', 'png', 'image/png', 100, 75],
    ['h=60,f=webp', '', 'webp', 'image/webp', 80, 60],
    ['w=120,h=120,fit=fill,f=jpeg', '', 'jpeg', 'image/jpeg', 120, 120],
  ])('%s ?%s → %s %ix%i that sharp decodes', async (options, query, format, type, width, height) => {
    const res = await origin.variant(`${options}/${photo.id}`, query);
    expect(res.headers.get('content-type')).toBe(type);
    const { meta } = await decoded(res);
    expect(formatOf(meta)).toBe(format);
    expect([meta.width, meta.height]).toEqual([width, height]);
  });

  it('serves the defaults at /<id> (no option segment)', async () => {
    const res = await origin.variant(photo.id, 'format=webp');
    const { meta } = await decoded(res);
    expect(formatOf(meta)).toBe('webp');
    expect([meta.width, meta.height]).toEqual([640, 480]);
  });

  it('f=auto keeps alpha: an alpha source asked as jpeg comes back as png', async () => {
    const res = await origin.variant(`w=100/${alpha.id}`, 'format=jpeg');
    expect(res.headers.get('content-type')).toBe('image/png');
    const { bytes, meta } = await decoded(res);
    expect(meta.format).toBe('png');
    expect([meta.width, meta.height]).toEqual([100, 50]);
    expect(meta.hasAlpha).toBe(true);
    // The right half of the source is transparent.
    const { data } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect(data[(25 * 100 + 90) * 4 + 3]).toBe(0);
    expect(data[(25 * 100 + 10) * 4 + 3]).toBe(255);
    const webp = await origin.variant(`w=100/${alpha.id}`, 'format=webp');
    const w = await decoded(webp);
    expect(w.meta.format).toBe('webp');
    expect(w.meta.hasAlpha).toBe(true);
  });

  it('f=auto keeps animation: an animated gif asked as webp stays animated', async () => {
    const res = await origin.variant(`w=60/${gif.id}`, 'format=webp');
    const { meta } = await decoded(res);
    expect(meta.format).toBe('webp');
    expect(meta.pages).toBe(3);
    expect([meta.width, meta.pageHeight]).toEqual([60, 45]);
  });

  it('caching headers: strong stable ETag, immutable, no 304 (the edge answers If-None-Match), Server-Timing, MISS then HIT', async () => {
    const path = `w=240,q=70/${photo.id}`;
    const first = await origin.variant(path, 'format=webp');
    const firstBytes = (await decoded(first.clone())).bytes;
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/); // strong: quoted, no W/
    expect(first.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(first.headers.get('x-variant-cache')).toBe('MISS');
    expect(first.headers.get('server-timing')).toMatch(/cache;desc=miss/);
    expect(first.headers.get('server-timing')).toMatch(/transform;dur=\d/);
    expect(first.headers.get('server-timing')).toMatch(/total;dur=\d/);

    const second = await origin.variant(path, 'format=webp');
    expect(second.headers.get('x-variant-cache')).toBe('HIT');
    expect(second.headers.get('etag')).toBe(etag);
    expect(second.headers.get('server-timing')).toMatch(/cache;desc=hit/);
    expect(sha256Hex((await decoded(second)).bytes)).toBe(sha256Hex(firstBytes));

    // The edge never asks conditionally (it answers If-None-Match itself): the origin sends the bytes.
    for (const inm of [etag!, `W/${etag}`, `"nope", ${etag}`, '*', '"something-else"']) {
      const full = await origin.variant(path, 'format=webp', { 'if-none-match': inm });
      expect(full.status, inm).toBe(200);
      expect(full.headers.get('etag')).toBe(etag);
      expect(full.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(sha256Hex((await decoded(full)).bytes)).toBe(sha256Hex(firstBytes));
    }

    // Another variant of the same image has another ETag.
    const other = await origin.variant(path, 'format=avif');
    expect(other.status).toBe(200);
    expect(other.headers.get('etag')).not.toBe(etag);
    await other.arrayBuffer();
  });

  it('refuses options that are not canonical with 400 invalid_option naming the canonical form', async () => {
    for (const [options, canonical] of [
      ['h=100,w=100', 'w=100,h=100'],
      ['width=100', 'w=100'],
      ['w=100,fit=inside', 'w=100'], // a default spelled out
      ['w=100,f=auto', 'w=100'],
      ['w=100,dpr=1.0', 'w=100'],
    ] as const) {
      const res = await origin.variant(`${options}/${photo.id}`, 'format=webp');
      const problem = await expectProblem(res, 400, 'invalid_option');
      expect(problem.canonical, options).toBe(canonical);
    }
  });

  it('refuses invalid options and a missing, contradicting or redundant format with 400 invalid_option', async () => {
    for (const [options, query] of [
      ['w=0', 'format=webp'],
      ['w=9000', 'format=webp'],
      ['nope=1', 'format=webp'],
      ['w=100', ''], // f=auto needs the edge's resolved format
      ['w=100', 'format=png'], // not an auto target
      ['w=100', 'format=bmp'],
      ['w=100,f=png', 'format=webp'], // contradicts f
      ['w=100,f=png', 'format=png'], // an explicit f travels in the options only
    ] as const) {
      const res = await origin.variant(`${options}/${photo.id}`, query);
      await expectProblem(res, 400, 'invalid_option');
    }
  });

  it('answers 404 not_found for an unknown id', async () => {
    await expectProblem(
      await origin.variant('w=100/AAAAAAAAAAAAAAAAAAAAAA', 'format=webp'),
      404,
      'not_found',
    );
    await expectProblem(await origin.variant('AAAAAAAAAAAAAAAAAAAAAA', 'format=webp'), 404, 'not_found');
    await expectProblem(
      await origin.variant('AAAAAAAAAAAAAAAAAAAAAA', 'format=webp', { 'if-none-match': '*' }),
      404,
      'not_found',
    );
  });
});

describeDb('origin API: an original removed behind the origin’s back', () => {
  it('is a 404 not_found for a new variant, not a 500', async () => {
    const token = await origin.craftToken({ sub: 'vanishing' });
    const image = await uploadOk(origin, await photoJpeg(200, 150, 77), token);
    // Stored, but never read by this origin: with S3 a read would keep it in the origin's cache of
    // originals (ORIGINAL_CACHE_BYTES), which then serves it.
    expect(await origin.originals.exists(image.sha256)).toBe(true);
    // As if another replica deleted it from shared storage while this one still maps the id.
    await origin.originals.remove(image.sha256);
    expect(await origin.originals.exists(image.sha256)).toBe(false);
    await expectProblem(await origin.variant(`w=60/${image.id}`, 'format=webp'), 404, 'not_found');
  });
});
