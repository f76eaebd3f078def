/**
 * PATCH /api/v1/images/:id {"focal": …} over real HTTP: set, clear, validation (400/415 with
 * stable codes), ownership (404) and scope (403); and the golden part — a cover/crop variant of a
 * generated image whose left quarter is red and right quarter blue is cropped around the stored
 * focal point when the URL gives no `g`, ignores it when `g` is given, and the same URL gives the
 * new crop right after a PATCH (the origin's caches and ETag are keyed by the point).
 */
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../support/db.js';
import { BLUE, GREY, RED, type Rgb } from '../../support/images.js';
import { startTestOrigin, type TestOrigin } from '../../support/origin.js';
import { bearer, expectProblem, type ImageRecord, ownerToken, uploadOk } from './helpers.js';

let origin: TestOrigin;
let token: string;

/** 400×100 PNG: red 0..100, grey 100..300, blue 300..400 (a `seed` pixel makes the bytes unique). */
async function bands(seed: number): Promise<Buffer> {
  const block = (colour: Rgb, left: number) => ({
    input: { create: { width: 100, height: 100, channels: 3 as const, background: colour } },
    left,
    top: 0,
  });
  const dot = {
    input: { create: { width: 1, height: 1, channels: 3 as const, background: { r: seed, g: 1, b: 2 } } },
    left: 200,
    top: 99,
  };
  return sharp({ create: { width: 400, height: 100, channels: 3, background: GREY } })
    .composite([block(RED, 0), block(BLUE, 300), dot])
    .removeAlpha()
    .png()
    .toBuffer();
}

function patch(id: string, body: unknown, tok = token, type = 'application/json'): Promise<Response> {
  return fetch(`${origin.api}/images/${id}`, {
    method: 'PATCH',
    headers: { ...bearer(tok), 'content-type': type },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function patchOk(id: string, body: unknown, tok = token): Promise<ImageRecord> {
  const res = await patch(id, body, tok);
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as ImageRecord;
}

async function getRecord(id: string, tok = token): Promise<ImageRecord> {
  const res = await fetch(`${origin.api}/images/${id}`, { headers: bearer(tok) });
  expect(res.status).toBe(200);
  return (await res.json()) as ImageRecord;
}

/** The colour at the centre of a PNG variant, and its ETag and cache status. */
async function centre(options: string, id: string) {
  const res = await origin.variant(`${options}/${id}`);
  const text = res.status === 200 ? '' : await res.clone().text();
  expect(res.status, text).toBe(200);
  const { data, info } = await sharp(Buffer.from(await res.arrayBuffer()))
    .raw()
    .toBuffer({ resolveWithObject: true });
  expect([info.width, info.height]).toEqual([100, 100]);
  const at = (50 * info.width + 50) * info.channels;
  const rgb = { r: data[at]!, g: data[at + 1]!, b: data[at + 2]! };
  return { rgb, etag: res.headers.get('etag'), cache: res.headers.get('x-variant-cache') };
}

const COVER = 'w=100,h=100,fit=cover,f=png';
/** COVER with a gravity (canonical order: g before f). */
const coverAt = (g: string) => `w=100,h=100,fit=cover,g=${g},f=png`;

/** Unique bytes for every image of this file (an owner's duplicate upload is the same image). */
let seeds = 0;
const fresh = () => bands(++seeds);

beforeAll(async () => {
  origin = await startTestOrigin();
  token = await ownerToken(origin, 'focal-owner');
});
afterAll(() => origin?.close());

describeDb('origin API: PATCH /images/:id (focal point)', () => {
  it('sets, rounds to 3 decimals, shows in GET and the listing, and clears with null', async () => {
    const image = await uploadOk(origin, await fresh(), token);
    expect(image.focal).toBeNull();
    const set = await patchOk(image.id, { focal: { x: 0.3, y: 0.6 } });
    expect(set.focal).toEqual({ x: 0.3, y: 0.6 });
    // The same shape as GET /images/:id gives.
    expect(set).toEqual(await getRecord(image.id));
    const listed = (await (await fetch(`${origin.api}/images`, { headers: bearer(token) })).json()) as {
      items: ImageRecord[];
    };
    expect(listed.items.find((i) => i.id === image.id)?.focal).toEqual({ x: 0.3, y: 0.6 });

    expect((await patchOk(image.id, { focal: { x: 0.12345, y: 1 } })).focal).toEqual({ x: 0.123, y: 1 });
    // An empty merge patch changes nothing; application/merge-patch+json is accepted.
    const res = await patch(image.id, {}, token, 'application/merge-patch+json');
    expect(res.status).toBe(200);
    expect(((await res.json()) as ImageRecord).focal).toEqual({ x: 0.123, y: 1 });

    expect((await patchOk(image.id, { focal: null })).focal).toBeNull();
    expect((await getRecord(image.id)).focal).toBeNull();
  });

  it.each([
    ['x above 1', { focal: { x: 1.5, y: 0.5 } }, 'focal.x'],
    ['y below 0', { focal: { x: 0.5, y: -0.1 } }, 'focal.y'],
    ['y missing', { focal: { x: 0.5 } }, 'focal.y'],
    ['a string', { focal: '0.5x0.5' }, 'focal'],
    ['a number as text', { focal: { x: '0.5', y: 0.5 } }, 'focal.x'],
    ['an unknown member', { focal: null, name: 'x' }, '(body)'],
    ['an unknown focal member', { focal: { x: 0.5, y: 0.5, z: 1 } }, 'focal'],
    ['not an object', [1, 2], '(body)'],
  ])('%s → 400 invalid_request naming %s', async (_name, body, field) => {
    const image = await uploadOk(origin, await fresh(), token);
    const problem = await expectProblem(await patch(image.id, body), 400, 'invalid_request');
    expect(problem.field).toBe(field);
    expect((await getRecord(image.id)).focal).toBeNull();
  });

  it('a body that is no JSON is 400; one that is not declared JSON is 415', async () => {
    const image = await uploadOk(origin, await fresh(), token);
    await expectProblem(await patch(image.id, '{"focal":'), 400, 'invalid_request');
    await expectProblem(
      await patch(image.id, '{"focal":null}', token, 'text/plain'),
      415,
      'unsupported_media_type',
    );
    await expectProblem(
      await patch(image.id, 'focal=null', token, 'application/x-www-form-urlencoded'),
      415,
      'unsupported_media_type',
    );
  });

  it("another owner's image and an unknown id are 404; the image is untouched", async () => {
    const image = await uploadOk(origin, await fresh(), token);
    const other = await ownerToken(origin, 'focal-someone-else');
    await expectProblem(await patch(image.id, { focal: { x: 0, y: 0 } }, other), 404, 'not_found');
    await expectProblem(await patch(image.id, {}, other), 404, 'not_found');
    await expectProblem(await patch('no-such-image', { focal: null }), 404, 'not_found');
    expect((await getRecord(image.id)).focal).toBeNull();
  });

  it('needs images:write (403 insufficient_scope) and a token (401)', async () => {
    const image = await uploadOk(origin, await fresh(), token);
    const reader = await ownerToken(origin, 'focal-owner', 'images:read');
    await expectProblem(await patch(image.id, { focal: { x: 0, y: 0 } }, reader), 403, 'insufficient_scope');
    const anonymous = await fetch(`${origin.api}/images/${image.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: '{"focal":null}',
    });
    await expectProblem(anonymous, 401, 'invalid_token');
    expect((await getRecord(image.id)).focal).toBeNull();
  });

  it('golden: cover and crop are cut around the stored point without g, never with g; a PATCH re-crops the same URL', async () => {
    const image = await uploadOk(origin, await fresh(), token);
    // No focal point: the centre (grey).
    const plain = await centre(COVER, image.id);
    expect(plain.rgb).toEqual(GREY);
    expect((await centre(COVER, image.id)).cache).toBe('HIT');

    // Near the left edge: Cloudflare's meaning, the crop's own 0.1 on the source's 0.1 → x 15..115.
    await patchOk(image.id, { focal: { x: 0.1, y: 0.5 } });
    const left = await centre(COVER, image.id);
    expect(left.rgb).toEqual(RED);
    expect(left.etag).not.toBe(plain.etag);
    expect((await centre('w=100,h=100,fit=crop,f=png', image.id)).rgb).toEqual(RED);
    // A gravity in the URL wins over the stored point.
    expect((await centre(coverAt('east'), image.id)).rgb).toEqual(BLUE);
    expect((await centre(coverAt('0.9x0.5'), image.id)).rgb).toEqual(BLUE);

    // Moved to the right: the same URL gives the right crop (not the cached left one) — the very
    // variant of the URL with g=0.9x0.5 asked above (one cache entry, one ETag).
    await patchOk(image.id, { focal: { x: 0.9, y: 0.5 } });
    const right = await centre(COVER, image.id);
    expect(right.rgb).toEqual(BLUE);
    expect(right.etag).not.toBe(left.etag);
    expect(right).toEqual({ ...(await centre(coverAt('0.9x0.5'), image.id)), cache: 'HIT' });
    expect((await centre(coverAt('west'), image.id)).rgb).toEqual(RED);
    // A URL that crops its own region is centred in it: the stored point does not apply.
    expect((await centre('w=100,h=100,fit=cover,f=png,crop=0:0:400:100', image.id)).rgb).toEqual(GREY);

    // Back to where it was: the left crop, from the cache.
    await patchOk(image.id, { focal: { x: 0.1, y: 0.5 } });
    const again = await centre(COVER, image.id);
    expect(again).toEqual({ ...left, cache: 'HIT' });

    // Cleared: the centre again, the very first variant.
    await patchOk(image.id, { focal: null });
    expect(await centre(COVER, image.id)).toEqual({ ...plain, cache: 'HIT' });
  });

  it('two images of the same bytes with different focal points never share a crop', async () => {
    const bytes = await fresh();
    const mine = await uploadOk(origin, bytes, token);
    const theirToken = await ownerToken(origin, 'focal-same-bytes');
    const theirs = await uploadOk(origin, bytes, theirToken);
    expect(theirs.sha256).toBe(mine.sha256);
    await patchOk(mine.id, { focal: { x: 0, y: 0 } });
    await patchOk(theirs.id, { focal: { x: 1, y: 1 } }, theirToken);
    expect((await centre(COVER, mine.id)).rgb).toEqual(RED);
    expect((await centre(COVER, theirs.id)).rgb).toEqual(BLUE);
  });

  it('f=json shows the stored point, and a new point is a new document', async () => {
    const image = await uploadOk(origin, await fresh(), token);
    const info = async () => {
      const res = await origin.variant(`w=100,f=json/${image.id}`, 'format=webp');
      expect(res.status).toBe(200);
      return (await res.json()) as { original: { focal: unknown } };
    };
    expect((await info()).original.focal).toBeNull();
    await patchOk(image.id, { focal: { x: 0.25, y: 0.75 } });
    expect((await info()).original.focal).toEqual({ x: 0.25, y: 0.75 });
  });

  it('with Prefer: imgedge-variants, lists the edge keys to drop (those without g too) when the point moved', async () => {
    const image = await uploadOk(origin, await fresh(), token);
    await patchOk(image.id, { focal: { x: 0.1, y: 0.5 } });
    await centre(COVER, image.id);
    const ask = (body: unknown) =>
      fetch(`${origin.api}/images/${image.id}`, {
        method: 'PATCH',
        headers: { ...bearer(token), 'content-type': 'application/json', prefer: 'imgedge-variants' },
        body: JSON.stringify(body),
      });
    const res = await ask({ focal: { x: 0.9, y: 0.5 } });
    expect(res.status).toBe(200);
    expect(res.headers.get('preference-applied')).toBe('imgedge-variants');
    const body = (await res.json()) as {
      image: ImageRecord;
      changed: boolean;
      variants: { path: string; format: string }[];
    };
    expect(body.image).toEqual(await getRecord(image.id));
    expect(body.changed).toBe(true);
    expect(body.variants).toEqual(
      expect.arrayContaining([
        { path: `/img/w=100,h=100,fit=cover,g=0.1x0.5,f=png/${image.id}`, format: 'png' },
        { path: `/img/w=100,h=100,fit=cover,f=png/${image.id}`, format: 'png' },
      ]),
    );
    // The same point again: nothing changed, nothing to drop.
    const same = (await (await ask({ focal: { x: 0.9, y: 0.5 } })).json()) as {
      changed: boolean;
      variants: [];
    };
    expect(same).toMatchObject({ changed: false, variants: [] });
  });
});
