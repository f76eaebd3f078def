/**
 * Remote images at the edge: the imgedge form `/img/[<options>|<preset>/]@<source>/<path>` and the
 * Cloudflare form `/cdn-cgi/image/<options>/<path or URL>` — refusals (400/404) before any origin
 * call, the signing policy of each form (SIGNED_URLS, CDN_CGI_SIGNED_URLS), one cache key for both
 * forms, the internal URL asked of the origin, the brief 404 under the source's Cache-Tag, and
 * onerror=redirect.
 *
 * "Against the real origin" runs with the main test origin's own SOURCES (`edge`, `default`,
 * `shop`, all on the stub server, which serves a real JPEG at every path but those in a
 * `missing/` folder): real 200s, MISS then HIT, and real source 404s.
 */
import { describe, expect, inject, it } from 'vitest';
import { defaultCache, notFoundCacheKey, variantCacheKey } from '../../edge/cache/variant-cache.js';
import { sourceCacheTag } from '../../shared/sources/index.js';
import { ACCEPT, call, EDGE, makeEnv, metric, problem, sign, variantCalls } from './helpers.js';

/** Nothing listens on port 9: the edge never fetches a source itself, and the origin cannot either. */
const SOURCES = JSON.stringify({ default: 'http://127.0.0.1:9/', shop: 'http://127.0.0.1:9/shop/' });
const env = makeEnv({ SOURCES });
const unsignedCdnCgi = makeEnv({ SOURCES, CDN_CGI_SIGNED_URLS: 'off' });

/** Requests the origin answered (every route but its /metrics scrapes). */
async function originCalls(): Promise<number> {
  const origin = inject('originUrl');
  const all = await metric(origin, 'imgedge_http_requests_total');
  return all - (await metric(origin, 'imgedge_http_requests_total', { route: '/metrics' }));
}

const signedUrl = async (path: string, canonical = path) =>
  `${path}${path.includes('?') ? '&' : '?'}sig=${await sign(canonical)}`;

describe('refused at the edge, before any origin call', () => {
  it.each([
    ['/img/@nosuch/a.jpg', 404, 'not_found'],
    ['/img/w=10/@nosuch/a.jpg', 404, 'not_found'],
    ['/img/thumb/@nosuch/a.jpg', 404, 'not_found'],
    ['/img/@default', 400, 'invalid_request'],
    ['/img/@default/', 400, 'invalid_request'],
    ['/img/@default/a%2Fb.jpg', 400, 'invalid_request'],
    ['/img/@default/a%5Cb.jpg', 400, 'invalid_request'],
    ['/img/@default/a//b.jpg', 400, 'invalid_request'],
    ['/img/@default/a.jpg?x=%00', 400, 'invalid_option'],
    ['/img/@Default/a.jpg', 400, 'invalid_request'],
    ['/img/w=0/@default/a.jpg', 400, 'invalid_option'],
    ['/img/w=1/h=1/@default/a.jpg', 404, 'not_found'],
    ['/img//@default/a.jpg', 404, 'not_found'],
    ['/img/nosuchpreset/@default/a.jpg', 400, 'invalid_option'],
    ['/cdn-cgi/image/width=abc/a.jpg', 400, 'invalid_option'],
    ['/cdn-cgi/image/fit=squash/a.jpg', 400, 'invalid_option'],
    ['/cdn-cgi/image/format=baseline-jpeg/a.jpg', 400, 'invalid_option'],
    ['/cdn-cgi/image/quality=high/a.jpg', 400, 'invalid_option'],
    ['/cdn-cgi/image/brightness=2/a.jpg', 400, 'invalid_option'],
    ['/cdn-cgi/image/w=1,width=2/a.jpg', 400, 'invalid_option'],
    ['/cdn-cgi/image//a.jpg', 400, 'invalid_option'],
    ['/cdn-cgi/image/a.jpg', 404, 'not_found'],
    ['/cdn-cgi/image/width=10/', 404, 'not_found'],
    ['/cdn-cgi/image/width=10/a.jpg?v=2', 400, 'invalid_request'],
    ['/cdn-cgi/image/width=10/a%2F..%2Fb.jpg', 400, 'invalid_request'],
    ['/cdn-cgi/image/width=10/https://evil.example/a.jpg', 404, 'not_found'],
    ['/cdn-cgi/image/width=10/http://127.0.0.1:9@evil.example/a.jpg', 404, 'not_found'],
    ['/cdn-cgi/image/width=10/http://127.0.0.10:9/a.jpg', 404, 'not_found'],
    ['/cdn-cgi/image/width=10/https://127.0.0.1:9/a.jpg', 404, 'not_found'],
  ])('%s → %i %s', async (path, status, code) => {
    const before = await originCalls();
    const res = await call(path, { env: unsignedCdnCgi });
    expect(res.status).toBe(status);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await problem(res)).toMatchObject({ status, code });
    expect(await originCalls()).toBe(before);
  });

  it('a 400 names the Cloudflare option and what it accepts', async () => {
    const res = await call('/cdn-cgi/image/width=100,fit=squash/a.jpg', { env: unsignedCdnCgi });
    const body = await problem(res);
    expect(body).toMatchObject({
      code: 'invalid_option',
      key: 'fit',
      value: 'squash',
      allowed: 'scale-down|contain|cover|crop|pad|squeeze|aspect-crop',
    });
    expect(String(body.detail)).toContain('fit must be one of scale-down');
    const baseline = await problem(
      await call('/cdn-cgi/image/format=baseline-jpeg/a.jpg', { env: unsignedCdnCgi }),
    );
    expect(String(baseline.detail)).toBe(
      '"format=baseline-jpeg" is not supported: imgedge encodes progressive JPEG only; use format=jpeg',
    );
  });

  it('without SOURCES every source URL names no image', async () => {
    for (const path of ['/img/@default/a.jpg', '/cdn-cgi/image/width=10/a.jpg']) {
      const res = await call(path, { env: makeEnv({ CDN_CGI_SIGNED_URLS: 'off' }) });
      expect(res.status, path).toBe(404);
      expect(await problem(res)).toMatchObject({ code: 'not_found' });
    }
  });

  it('a relative Cloudflare path needs a source named default', async () => {
    const noDefault = makeEnv({ SOURCES: '{"shop":"http://127.0.0.1:9/shop/"}', CDN_CGI_SIGNED_URLS: 'off' });
    const res = await call('/cdn-cgi/image/width=10/a.jpg', { env: noDefault });
    expect(res.status).toBe(404);
    expect(String((await problem(res)).detail)).toContain('source named default');
  });

  it('/cdn-cgi/image/ allows GET and HEAD only', async () => {
    const res = await call('/cdn-cgi/image/width=10/a.jpg', { method: 'POST', env });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('signing policy (SIGNED_URLS=presets-free in the test bindings)', () => {
  it('the imgedge form: exactly as for ids — options need a signature over the canonical path', async () => {
    const missing = await call('/img/width=120,fit=cover,h=60/@shop/a/b.jpg', { env });
    expect(missing.status).toBe(403);
    expect(await problem(missing)).toMatchObject({
      code: 'invalid_signature',
      canonical: '/img/w=120,h=60,fit=cover/@shop/a/b.jpg',
    });
    const wrong = await call(`/img/w=120/@shop/a/b.jpg?sig=${await sign('/img/w=121/@shop/a/b.jpg')}`, {
      env,
    });
    expect(wrong.status).toBe(403);
    // The signature covers the canonical source path: an encoded spelling of the same path verifies.
    const good = await sign('/img/w=120/@shop/a-b.jpg');
    for (const path of [
      '/img/w=120/@shop/a-b.jpg',
      '/img/width=120/@shop/a%2Db.jpg',
      '/img/@shop/a-b.jpg?w=120',
    ]) {
      const res = await call(`${path}${path.includes('?') ? '&' : '?'}sig=${good}`, { env });
      expect(res.status, path).not.toBe(403);
      await res.body?.cancel();
    }
  });

  it('the imgedge form: presets, the defaults and a lone f need none', async () => {
    for (const path of [
      '/img/@shop/p.jpg',
      '/img/thumb/@shop/p.jpg',
      '/img/@shop/p.jpg?f=webp',
      '/img/f=avif/@shop/p.jpg',
    ]) {
      const res = await call(path, { env });
      expect(res.status, path).not.toBe(403);
      await res.body?.cancel();
    }
    // A preset is signed as written.
    const preset = await call('/img/card/@shop/p.jpg?q=70', { env });
    expect(await problem(preset)).toMatchObject({ canonical: '/img/card/@shop/p.jpg?q=70' });
  });

  it('the Cloudflare form follows SIGNED_URLS by default, signed over the imgedge canonical path', async () => {
    const path = '/cdn-cgi/image/width=130,format=auto/pics/c.jpg';
    const missing = await call(path, { env });
    expect(missing.status).toBe(403);
    expect(await problem(missing)).toMatchObject({ canonical: '/img/w=130/@default/pics/c.jpg' });
    const signed = await call(await signedUrl(path, '/img/w=130/@default/pics/c.jpg'), { env });
    expect(signed.status).not.toBe(403);
    await signed.body?.cancel();
    const formatOnly = await call('/cdn-cgi/image/format=webp/pics/c.jpg', { env });
    expect(formatOnly.status).not.toBe(403);
    await formatOnly.body?.cancel();
  });

  it('CDN_CGI_SIGNED_URLS=off serves unsigned Cloudflare URLs and leaves /img/ signed', async () => {
    const res = await call('/cdn-cgi/image/width=131/pics/c.jpg', { env: unsignedCdnCgi });
    expect(res.status).not.toBe(403);
    await res.body?.cancel();
    expect((await call('/img/w=131/@default/pics/c.jpg', { env: unsignedCdnCgi })).status).toBe(403);
  });

  it('CDN_CGI_SIGNED_URLS=required asks even for a lone format', async () => {
    const strict = makeEnv({ SOURCES, SIGNED_URLS: 'off', CDN_CGI_SIGNED_URLS: 'required' });
    const res = await call('/cdn-cgi/image/format=webp/pics/c.jpg', { env: strict });
    expect(res.status).toBe(403);
    expect(await problem(res)).toMatchObject({ canonical: '/img/f=webp/@default/pics/c.jpg' });
    const ok = await call(
      await signedUrl('/cdn-cgi/image/format=webp/pics/c.jpg', '/img/f=webp/@default/pics/c.jpg'),
      {
        env: strict,
      },
    );
    expect(ok.status).not.toBe(403);
    await ok.body?.cancel();
    // SIGNED_URLS=off still rules /img/.
    const img = await call('/img/w=132/@default/pics/c.jpg', { env: strict });
    expect(img.status).not.toBe(403);
    await img.body?.cancel();
  });
});

describe('one cache entry for both forms', () => {
  it('/cdn-cgi/image/width=800,format=auto/<path> reads the entry of /img/w=800/@default/<path>', async () => {
    // An entry stored under the imgedge form's key (as a MISS through either form would store it).
    const key = variantCacheKey(EDGE, '/img/w=800/@default/shared/one.jpg', 'jpeg');
    await defaultCache().put(
      key,
      new Response('shared-entry', {
        headers: { 'content-type': 'image/jpeg', 'cache-control': 'public, max-age=120', etag: '"e1"' },
      }),
    );
    const before = await originCalls();
    for (const path of [
      '/cdn-cgi/image/width=800,format=auto/shared/one.jpg',
      '/cdn-cgi/image/w=800,f=auto,fit=scale-down,metadata=none/shared/one.jpg',
      '/cdn-cgi/image/width=800/http://127.0.0.1:9/shared/one.jpg',
      '/cdn-cgi/image/width=800/HTTP://127.0.0.1:9/shared/./one.jpg',
      await signedUrl('/img/w=800/@default/shared/one.jpg'),
      await signedUrl('/img/@default/shared/one.jpg?width=800', '/img/w=800/@default/shared/one.jpg'),
    ]) {
      const res = await call(path, { env: unsignedCdnCgi, headers: { accept: ACCEPT.any } });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('x-cache'), path).toBe('HIT');
      expect(res.headers.get('cache-control')).toBe('public, max-age=120');
      expect(await res.text()).toBe('shared-entry');
    }
    expect(await originCalls()).toBe(before);
    await defaultCache().delete(key);
  });
});

describe('onerror=redirect', () => {
  const down = makeEnv({ SOURCES, CDN_CGI_SIGNED_URLS: 'off', ORIGIN_URL: 'http://127.0.0.1:9' });

  it('a failed origin call becomes a 302 to the source image, never cached', async () => {
    for (const [path, location] of [
      ['/cdn-cgi/image/width=140,onerror=redirect/pics/d%20e.jpg', 'http://127.0.0.1:9/pics/d%20e.jpg'],
      [
        '/cdn-cgi/image/onerror=redirect,w=140/http://127.0.0.1:9/shop/x.png',
        'http://127.0.0.1:9/shop/x.png',
      ],
    ] as const) {
      for (let i = 0; i < 2; i++) {
        const res = await call(path, { env: down });
        expect(res.status, path).toBe(302);
        expect(res.headers.get('location')).toBe(location);
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(res.headers.get('x-cache')).toBe('MISS');
      }
    }
  });

  it('without it the failure is the problem as for ids (502)', async () => {
    const res = await call('/cdn-cgi/image/width=141/pics/d.jpg', { env: down });
    expect(res.status).toBe(502);
    expect(await problem(res)).toMatchObject({ code: 'origin_unreachable' });
  });

  it('an edge refusal is not redirected (the request itself is wrong)', async () => {
    const res = await call('/cdn-cgi/image/width=0,onerror=redirect/pics/d.jpg', { env: down });
    expect(res.status).toBe(400);
    expect((await call('/cdn-cgi/image/onerror=ignore/pics/d.jpg', { env: down })).status).toBe(400);
  });
});

describe('against the real origin (its sources on the stub server)', () => {
  /** The edge with the origin's own SOURCES, and /cdn-cgi/image/ unsigned. */
  const live = () => makeEnv({ SOURCES: inject('originSources'), CDN_CGI_SIGNED_URLS: 'off' });
  /** A path no earlier run or test has cached. */
  const fresh = (name: string) => `run-${inject('runId')}/${name}`;

  it('a Cloudflare URL is a real variant: 200 MISS, then a HIT for every spelling, with the source’s freshness', async () => {
    const dir = fresh('pics');
    const path = `/cdn-cgi/image/width=150,fit=cover,height=50/${dir}/a%20b%2Dc.jpg`;
    const [calls0, all0] = [await variantCalls(), await originCalls()];
    const first = await call(path, { env: live(), headers: { accept: ACCEPT.chrome } });
    expect([first.status, first.headers.get('x-cache')]).toEqual([200, 'MISS']);
    expect(first.headers.get('content-type')).toBe('image/avif');
    expect(first.headers.get('vary')).toBe('Accept');
    const bytes = new Uint8Array(await first.arrayBuffer());
    expect(new TextDecoder().decode(bytes.subarray(4, 12))).toBe('ftypavif');
    // Not immutable: the origin's freshness for the cached source (the stub says max-age=300).
    const maxAge = Number(/^public, max-age=(\d+)$/.exec(first.headers.get('cache-control') ?? '')?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(3600);
    // One origin call, on a source variant route (counted by variantCalls).
    expect([await variantCalls(), await originCalls()]).toEqual([calls0 + 1, all0 + 1]);

    // Stored under the imgedge canonical path (Cloudflare's cover may enlarge: enlarge=1), tagged
    // with the source's Cache-Tag.
    const key = variantCacheKey(
      EDGE,
      `/img/w=150,h=50,fit=cover,enlarge=1/@default/${dir}/a%20b-c.jpg`,
      'avif',
    );
    const stored = await defaultCache().match(key);
    expect(stored?.headers.get('cache-tag')).toBe(
      sourceCacheTag({ source: 'default', path: `${dir}/a%20b-c.jpg` }),
    );
    await stored?.body?.cancel();

    const base = JSON.parse(inject('originSources')).default as string;
    for (const again of [
      `/cdn-cgi/image/height=50,fit=cover,w=150/${dir}/a b-c.jpg`,
      `/cdn-cgi/image/width=150,height=50,fit=cover/${base}${dir}/a%20b-c.jpg`,
      await signedUrl(
        `/img/@default/${dir}/a%20b%2dc.jpg?w=150&h=50&fit=cover&enlarge=1`,
        `/img/w=150,h=50,fit=cover,enlarge=1/@default/${dir}/a%20b-c.jpg`,
      ),
    ]) {
      const res = await call(again, { env: live(), headers: { accept: ACCEPT.chrome } });
      expect([res.status, res.headers.get('x-cache')], again).toEqual([200, 'HIT']);
      expect(res.headers.get('cache-tag')).toBeNull();
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    }
    expect(await variantCalls()).toBe(calls0 + 1);
  });

  it('the imgedge form of the source `edge`: defaults and a preset unsigned, options signed, all 200', async () => {
    const path = fresh('shoe.jpg');
    const calls0 = await variantCalls();
    for (const url of [
      `/img/@edge/${path}`,
      `/img/thumb/@edge/${path}`,
      `/img/@edge/${path}?f=webp`,
      await signedUrl(`/img/w=64,h=64,fit=cover/@edge/${path}`),
    ]) {
      const miss = await call(url, { env: live(), headers: { accept: ACCEPT.chrome } });
      expect([miss.status, miss.headers.get('x-cache')], url).toEqual([200, 'MISS']);
      expect(miss.headers.get('content-type')).toMatch(/^image\/(avif|webp)$/);
      expect(miss.headers.get('cache-control')).not.toMatch(/immutable/);
      await miss.body?.cancel();
      const hit = await call(url, { env: live(), headers: { accept: ACCEPT.chrome } });
      expect([hit.status, hit.headers.get('x-cache')], url).toEqual([200, 'HIT']);
      await hit.body?.cancel();
    }
    expect(await variantCalls()).toBe(calls0 + 4);
  });

  it('a missing source image is the origin’s 404, stored briefly under the source’s Cache-Tag for every form', async () => {
    const dir = fresh('missing');
    const target = `missing/${dir}/gone.jpg`;
    const first = await call(`/cdn-cgi/image/width=152,onerror=redirect/${target}`, { env: live() });
    // A source 404 is answered as such, not redirected.
    expect([first.status, first.headers.get('x-cache')]).toEqual([404, 'MISS']);
    expect(await problem(first)).toMatchObject({ code: 'not_found' });
    const stored = await defaultCache().match(notFoundCacheKey(EDGE, `@default/${target}`));
    expect(stored?.headers.get('cache-tag')).toBe(sourceCacheTag({ source: 'default', path: target }));
    expect(stored?.headers.get('cache-control')).toBe('public, max-age=60');
    await stored?.body?.cancel();
    const calls = await variantCalls();
    for (const again of [`/cdn-cgi/image/width=151/${target}`, `/img/@default/${target}`]) {
      const res = await call(again, { env: live() });
      expect([res.status, res.headers.get('x-cache')], again).toEqual([404, 'HIT']);
      expect(res.headers.get('cache-tag')).toBeNull();
      await res.body?.cancel();
    }
    expect(await variantCalls()).toBe(calls);
  });

  it('a source the origin does not know is its 404 (the tiers disagree on SOURCES)', async () => {
    const res = await call('/img/@shop2/a.jpg', {
      env: makeEnv({ SOURCES: JSON.stringify({ shop2: `${inject('stubUrl')}/sources/` }) }),
    });
    expect(res.status).toBe(404);
    expect(await problem(res)).toMatchObject({ code: 'not_found' });
  });

  it('an uploaded id keeps its own Cache-Tag on its brief 404', async () => {
    const id = `${inject('images').missing}s`;
    const res = await call(`/img/${id}`, { env });
    expect(res.status).toBe(404);
    await res.body?.cancel();
    const stored = await defaultCache().match(notFoundCacheKey(EDGE, id));
    expect(stored?.headers.get('cache-tag')).toBe(`imgedge-${id}`);
    await stored?.body?.cancel();
  });
});
