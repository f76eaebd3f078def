/**
 * The variant cache (Workers Cache API) and format negotiation, against the real origin: HIT after
 * MISS with one origin call, the cache key split by resolved format only, 304, HEAD, response
 * headers, and what is never (errors) or briefly (404) cached.
 */
import { describe, expect, inject, it } from 'vitest';
import {
  ACCEPT,
  call,
  jsonLogs,
  makeEnv,
  metric,
  problem,
  signed,
  sleep,
  sniff,
  variantCalls,
} from './helpers.js';

const images = () => inject('images');
const transforms = () => metric(inject('originUrl'), 'imgedge_transforms_total', { result: 'ok' });

/** The variant's ETag straight from the origin (as the edge would get it on a miss). */
async function originEtag(canonical: string, id: string, format: string): Promise<string> {
  const res = await fetch(`${inject('originUrl')}/internal/v1/variants/${canonical}/${id}?format=${format}`, {
    headers: { authorization: `Bearer ${inject('originToken')}` },
  });
  await res.arrayBuffer();
  expect(res.status).toBe(200);
  return res.headers.get('etag')!;
}

describe('Accept negotiation (f=auto)', () => {
  it.each([
    ['Chrome-like', 'avif', ACCEPT.chrome],
    ['WebP-only', 'webp', ACCEPT.webpOnly],
    ['*/*', 'jpeg', ACCEPT.any],
  ] as const)('%s Accept gets %s bytes, with Vary: Accept', async (_name, format, accept) => {
    const res = await call(await signed(`/img/w=161/${images().photo}`), { headers: { accept } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(`image/${format}`);
    expect(res.headers.get('vary')).toBe('Accept');
    expect(sniff(await res.arrayBuffer())).toBe(format);
  });

  it('no Accept header at all gets JPEG', async () => {
    const res = await call(await signed(`/img/w=162/${images().photo}`));
    expect(res.status).toBe(200);
    expect(sniff(await res.arrayBuffer())).toBe('jpeg');
  });

  it('an alpha source asked for the jpeg class gets PNG bytes (alpha kept); webp stays webp', async () => {
    const path = await signed(`/img/w=100/${images().alpha}`);
    const any = await call(path, { headers: { accept: ACCEPT.any } });
    expect(any.status).toBe(200);
    expect(any.headers.get('content-type')).toBe('image/png');
    expect(any.headers.get('vary')).toBe('Accept');
    expect(sniff(await any.arrayBuffer())).toBe('png');

    const webp = await call(path, { headers: { accept: ACCEPT.webpOnly } });
    expect(webp.headers.get('content-type')).toBe('image/webp');
    expect(sniff(await webp.arrayBuffer())).toBe('webp');
  });

  it('an animated source stays animated: webp for modern browsers, gif otherwise', async () => {
    const path = await signed(`/img/w=60/${images().gif}`);
    const chrome = await call(path, { headers: { accept: ACCEPT.chrome } });
    expect(chrome.headers.get('content-type')).toBe('image/webp');
    expect(sniff(await chrome.arrayBuffer())).toBe('webp');
    const any = await call(path, { headers: { accept: ACCEPT.any } });
    expect(any.headers.get('content-type')).toBe('image/gif');
    expect(sniff(await any.arrayBuffer())).toBe('gif');
  });

  it('the cache key is split by resolved format, never poisoned across formats', async () => {
    const path = await signed(`/img/w=163/${images().photo}`);
    const before = await variantCalls();
    const sequence: [string, string, string][] = [
      [ACCEPT.chrome, 'MISS', 'avif'],
      [ACCEPT.webpOnly, 'MISS', 'webp'],
      [ACCEPT.chrome, 'HIT', 'avif'],
      [ACCEPT.webpOnly, 'HIT', 'webp'],
      // Another Accept spelling of the same class reaches the same entry.
      ['image/avif;q=0.9, image/webp;q=0.5', 'HIT', 'avif'],
      [ACCEPT.any, 'MISS', 'jpeg'],
      ['image/png,*/*;q=0.5', 'HIT', 'jpeg'],
    ];
    for (const [accept, cache, format] of sequence) {
      const res = await call(path, { headers: { accept } });
      expect(res.headers.get('x-cache'), accept).toBe(cache);
      expect(sniff(await res.arrayBuffer()), accept).toBe(format);
      expect(res.headers.get('vary')).toBe('Accept');
    }
    expect(await variantCalls()).toBe(before + 3);
  });

  it('an explicit format is not negotiated: no Vary, one entry for every Accept', async () => {
    const path = await signed(`/img/w=164,f=webp/${images().photo}`);
    const before = await variantCalls();
    const first = await call(path, { headers: { accept: ACCEPT.chrome } });
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(first.headers.get('vary')).toBeNull();
    expect(sniff(await first.arrayBuffer())).toBe('webp');
    const second = await call(path, { headers: { accept: ACCEPT.any } });
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(second.headers.get('vary')).toBeNull();
    expect(sniff(await second.arrayBuffer())).toBe('webp');
    expect(await variantCalls()).toBe(before + 1);
  });
});

describe('variant cache', () => {
  it('serves a HIT after a MISS with the origin called (and the transform run) once', async () => {
    const path = await signed(`/img/w=171,h=171,fit=contain,bg=ffffff/${images().photo}`);
    const headers = { accept: ACCEPT.webpOnly };
    const [calls0, transforms0] = [await variantCalls(), await transforms()];

    const miss = await call(path, { headers });
    expect(miss.status).toBe(200);
    expect(miss.headers.get('x-cache')).toBe('MISS');
    // The origin's Server-Timing reaches the client on the miss (the console shows the transform).
    expect(miss.headers.get('server-timing')).toMatch(
      /^cache;desc=miss, transform;dur=[\d.]+, total;dur=[\d.]+$/,
    );
    const missBody = new Uint8Array(await miss.arrayBuffer());
    expect([await variantCalls(), await transforms()]).toEqual([calls0 + 1, transforms0 + 1]);

    for (let i = 0; i < 3; i++) {
      const hit = await call(path, { headers });
      expect(hit.status).toBe(200);
      expect(hit.headers.get('x-cache')).toBe('HIT');
      // …and describes that render only: a hit transformed nothing.
      expect(hit.headers.get('server-timing')).toBeNull();
      expect(hit.headers.get('etag')).toBe(miss.headers.get('etag'));
      expect(new Uint8Array(await hit.arrayBuffer())).toEqual(missBody);
    }
    expect([await variantCalls(), await transforms()]).toEqual([calls0 + 1, transforms0 + 1]);
  });

  it('request headers other than Accept never reach the cache key', async () => {
    const path = await signed(`/img/w=172/${images().photo}`);
    const miss = await call(path, { headers: { accept: ACCEPT.any } });
    expect(miss.headers.get('x-cache')).toBe('MISS');
    const variations: Record<string, string>[] = [
      { cookie: 'session=abc' },
      { 'user-agent': 'curl/8.0' },
      { authorization: 'Bearer whatever' },
      { 'x-forwarded-host': 'evil.example' },
      { 'accept-encoding': 'br' },
    ];
    for (const extra of variations) {
      const res = await call(path, { headers: { accept: ACCEPT.any, ...extra } });
      expect(res.headers.get('x-cache'), JSON.stringify(extra)).toBe('HIT');
    }
  });

  it('sets the documented response headers on MISS and HIT', async () => {
    const path = await signed(`/img/w=173/${images().photo}`);
    for (const expected of ['MISS', 'HIT']) {
      const ray = `8a1b2c3d4e5f${expected === 'MISS' ? '01' : '02'}-AMS`;
      const res = await call(path, { headers: { accept: ACCEPT.any, 'cf-ray': ray } });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-cache')).toBe(expected);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]+"$/);
      expect(res.headers.get('x-request-id')).toBe(ray);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-type')).toBe('image/jpeg');
      await res.arrayBuffer();
    }
    // Without cf-ray: a fresh id per request.
    const a = await call(path, { headers: { accept: ACCEPT.any } });
    const b = await call(path, { headers: { accept: ACCEPT.any } });
    expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.headers.get('x-request-id')).not.toBe(a.headers.get('x-request-id'));
    // A cf-ray that is no valid id is not echoed.
    const odd = await call(path, { headers: { accept: ACCEPT.any, 'cf-ray': 'bad ray\twith spaces' } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('writes one JSON access-log line per request (id, route, status, cache, ms)', async () => {
    const path = await signed(`/img/w=174/${images().photo}`);
    await call(path, { headers: { 'cf-ray': 'logtest-0001' } });
    await call(path, { headers: { 'cf-ray': 'logtest-0002' } });
    const lines = jsonLogs().filter((l) => String(l.id).startsWith('logtest-'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ id: 'logtest-0001', route: '/img/*', status: 200, cache: 'MISS' });
    expect(lines[1]).toMatchObject({ id: 'logtest-0002', status: 200, cache: 'HIT' });
    expect(typeof lines[0]!.ms).toBe('number');
  });

  it('answers If-None-Match with 304 on the MISS path and on the HIT path', async () => {
    const id = images().photo;
    const canonical = 'w=175';
    const etag = await originEtag(canonical, id, 'jpeg');
    const path = await signed(`/img/${canonical}/${id}`);
    const before = await variantCalls();

    const miss = await call(path, { headers: { accept: ACCEPT.any, 'if-none-match': etag } });
    expect(miss.status).toBe(304);
    expect(miss.headers.get('x-cache')).toBe('MISS');
    expect(miss.headers.get('etag')).toBe(etag);
    expect(miss.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(miss.headers.get('vary')).toBe('Accept');
    expect(miss.body).toBeNull();

    const hit = await call(path, { headers: { accept: ACCEPT.any, 'if-none-match': `"other", W/${etag}` } });
    expect(hit.status).toBe(304);
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(hit.headers.get('etag')).toBe(etag);
    expect(hit.body).toBeNull();

    const star = await call(path, { headers: { accept: ACCEPT.any, 'if-none-match': '*' } });
    expect(star.status).toBe(304);

    const stale = await call(path, { headers: { accept: ACCEPT.any, 'if-none-match': '"not-this-one"' } });
    expect(stale.status).toBe(200);
    expect(stale.headers.get('x-cache')).toBe('HIT');
    expect(sniff(await stale.arrayBuffer())).toBe('jpeg');
    // The 304 on the miss path stored the full variant: one origin call for all of the above.
    expect(await variantCalls()).toBe(before + 1);
  });

  it('answers HEAD with the GET headers and no body, on MISS and HIT', async () => {
    const path = await signed(`/img/w=176/${images().photo}`);
    const headers = { accept: ACCEPT.webpOnly };
    const head = await call(path, { method: 'HEAD', headers });
    expect(head.status).toBe(200);
    expect(head.headers.get('x-cache')).toBe('MISS');
    expect(await head.text()).toBe('');

    const get = await call(path, { headers });
    expect(get.status).toBe(200);
    expect(get.headers.get('x-cache')).toBe('HIT');
    const bytes = await get.arrayBuffer();
    expect(sniff(bytes)).toBe('webp');

    const headHit = await call(path, { method: 'HEAD', headers });
    expect(headHit.status).toBe(200);
    expect(headHit.headers.get('x-cache')).toBe('HIT');
    expect(await headHit.text()).toBe('');
    for (const name of ['content-type', 'etag', 'cache-control', 'vary', 'x-content-type-options']) {
      expect(head.headers.get(name), name).toBe(get.headers.get(name));
      expect(headHit.headers.get(name), name).toBe(get.headers.get(name));
    }
    const length = headHit.headers.get('content-length');
    if (length !== null) expect(Number(length)).toBe(bytes.byteLength);
  });

  it('never caches an error: a 400 asked twice is answered twice, uncached', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await call(`/img/w=177,q=0/${images().photo}`);
      expect(res.status).toBe(400);
      expect(res.headers.get('x-cache')).not.toBe('HIT');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await problem(res)).toMatchObject({ code: 'invalid_option', key: 'q' });
    }
  });

  it('caches a 404 from the origin for NOT_FOUND_TTL seconds', async () => {
    const missing = `${images().missing}a`;
    const before = await variantCalls();
    const first = await call(`/img/${missing}`, { headers: { accept: ACCEPT.any } });
    expect(first.status).toBe(404);
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(first.headers.get('cache-control')).toBe('public, max-age=60');
    expect(await problem(first)).toMatchObject({ code: 'not_found' });

    // Any variant of that id: the brief 404 is per id.
    for (const path of [`/img/${missing}`, `/img/thumb/${missing}`]) {
      const again = await call(path, { headers: { accept: ACCEPT.chrome } });
      expect(again.status, path).toBe(404);
      expect(again.headers.get('x-cache'), path).toBe('HIT');
      expect(again.headers.get('vary')).toBeNull();
      expect(await problem(again)).toMatchObject({ code: 'not_found' });
    }
    expect(await variantCalls()).toBe(before + 1);
  });

  it('lets a cached 404 expire after NOT_FOUND_TTL', async () => {
    const env = makeEnv({ NOT_FOUND_TTL: '1' });
    const path = `/img/${images().missing}b`;
    const first = await call(path, { env });
    expect([first.status, first.headers.get('x-cache')]).toEqual([404, 'MISS']);
    expect(first.headers.get('cache-control')).toBe('public, max-age=1');
    const again = await call(path, { env });
    expect([again.status, again.headers.get('x-cache')]).toEqual([404, 'HIT']);
    await sleep(2_100);
    const later = await call(path, { env });
    expect([later.status, later.headers.get('x-cache')]).toEqual([404, 'MISS']);
  });

  it('does not cache a 404 when NOT_FOUND_TTL=0', async () => {
    const env = makeEnv({ NOT_FOUND_TTL: '0' });
    const path = `/img/${images().missing}c`;
    const before = await variantCalls();
    for (let i = 0; i < 2; i++) {
      const res = await call(path, { env });
      expect(res.status).toBe(404);
      expect(res.headers.get('x-cache')).toBe('MISS');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    expect(await variantCalls()).toBe(before + 2);
  });
});
