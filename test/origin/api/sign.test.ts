/**
 * POST /api/v1/sign over real HTTP against a real origin (Postgres when TEST_DATABASE_URL is set):
 * every URL form the edge serves comes back canonical and signed, and the signed path passes the
 * edge's own check (parseImageRequest + verifySignedRequest, as edge/routes/images.ts runs them),
 * expiry included (checked with a later clock, not by sleeping). Hostile bodies are refused with
 * problem+json; another owner's image is a 404.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { compilePresets, DEFAULT_PRESETS, parseImageRequest } from '../../../shared/options/index.js';
import { verifySignedRequest } from '../../../shared/signed-url.js';
import { parseSources } from '../../../shared/sources/index.js';
import { describeDb } from '../../support/db.js';
import { photoJpeg } from '../../support/images.js';
import { startTestOrigin, type TestOrigin } from '../../support/origin.js';
import { bearer, expectProblem, ownerToken, uploadOk } from './helpers.js';

const SIGNING_KEY = 'sign-route-test-signing-key-0123456789abcdef';
const SOURCES = JSON.stringify({
  shop: 'https://shop.example.com/media/',
  default: 'https://cdn.example.com/',
});
const PUBLIC = 'https://img.example.com';

interface Signed {
  url: string;
  path: string;
  expires: number | null;
  canonical: string;
}

let origin: TestOrigin;
let owner: string;
let id: string;

beforeAll(async () => {
  origin = await startTestOrigin({ SIGNING_KEY, SOURCES, PUBLIC_BASE_URL: PUBLIC });
  owner = await ownerToken(origin, 'sign-owner');
  id = (await uploadOk(origin, new Uint8Array(await photoJpeg(64, 48, 3)), owner)).id;
});
afterAll(() => origin?.close());

function sign(token: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${origin.api}/sign`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(token), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function signOk(body: unknown): Promise<Signed> {
  const res = await sign(owner, body);
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return JSON.parse(text) as Signed;
}

/** What the edge does with a GET of `path` (edge/routes/images.ts resolve + enforceSigningPolicy). */
async function edgeAccepts(path: string, nowSeconds?: number): Promise<void> {
  const url = new URL(path, PUBLIC);
  const request = parseImageRequest(
    url.pathname.slice('/img'.length),
    url.searchParams,
    compilePresets(DEFAULT_PRESETS),
    parseSources(SOURCES),
  );
  await verifySignedRequest(request, [SIGNING_KEY], nowSeconds);
}

describeDb('POST /api/v1/sign', () => {
  it('any spelling of the options comes back canonical, signed, and accepted by the edge', async () => {
    for (const spelling of [
      `/img/width=800,format=webp/${id}`,
      `/img/f=webp,w=800/${id}`,
      `/img/${id}?width=800&format=webp`,
      `https://elsewhere.example/img/w=800/${id}?f=webp&sig=stale`,
    ]) {
      const out = await signOk({ path: spelling });
      expect(out.path, spelling).toMatch(new RegExp(`^/img/w=800,f=webp/${id}\\?sig=[A-Za-z0-9_-]{43}$`));
      expect(out.canonical).toBe('w=800,f=webp');
      expect(out.expires).toBeNull();
      expect(out.url).toBe(`${PUBLIC}${out.path}`);
      await edgeAccepts(out.path);
    }
  });

  it('presets keep their name (signed as written), /img/<id> and remote sources sign too', async () => {
    const preset = await signOk({ path: `/img/thumb/${id}?quality=60` });
    expect(preset.path).toMatch(new RegExp(`^/img/thumb/${id}\\?q=60&sig=`));
    expect(preset.canonical).toBe('w=200,h=200,fit=cover,g=attention,q=60');
    await edgeAccepts(preset.path);

    const plain = await signOk({ path: `/img/${id}` });
    expect(plain.path).toMatch(new RegExp(`^/img/${id}\\?sig=`));
    expect(plain.canonical).toBe('');

    const remote = await signOk({ path: '/img/w=300/@shop/a/b.jpg' });
    expect(remote.path).toMatch(/^\/img\/w=300\/@shop\/a\/b\.jpg\?sig=/);
    await edgeAccepts(remote.path);

    // The Cloudflare form comes back as the imgedge form it stands for (the same cache entry).
    const cdnCgi = await signOk({ path: '/cdn-cgi/image/width=300/a/b.jpg' });
    expect(cdnCgi.path).toMatch(/^\/img\/w=300\/@default\/a\/b\.jpg\?sig=/);
    await edgeAccepts(cdnCgi.path);
  });

  it('an expiring URL carries exp under the signature and is refused after it', async () => {
    const before = Math.floor(Date.now() / 1000);
    const out = await signOk({ path: `/img/w=120/${id}`, expires_in: 60 });
    expect(out.expires).toBeGreaterThanOrEqual(before + 60);
    expect(out.expires).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 60);
    expect(out.path).toBe(
      `/img/w=120/${id}?exp=${out.expires}&sig=${new URL(out.path, PUBLIC).searchParams.get('sig')}`,
    );
    await edgeAccepts(out.path, out.expires! - 1);
    await expect(edgeAccepts(out.path, out.expires!)).rejects.toMatchObject({
      code: 'invalid_signature',
      extra: { reason: 'expired' },
    });
    // exp cannot be moved: the signature covers it.
    const moved = out.path.replace(`exp=${out.expires}`, `exp=${out.expires! + 3600}`);
    await expect(edgeAccepts(moved, out.expires! - 1)).rejects.toMatchObject({ code: 'invalid_signature' });
    // …nor dropped.
    const dropped = out.path.replace(`exp=${out.expires}&`, '');
    await expect(edgeAccepts(dropped, out.expires! - 1)).rejects.toMatchObject({ code: 'invalid_signature' });

    const at = Math.floor(Date.now() / 1000) + 600;
    const fixed = await signOk({ path: `/img/thumb/${id}?q=50`, expires_at: at });
    expect(fixed.expires).toBe(at);
    expect(fixed.path).toMatch(new RegExp(`^/img/thumb/${id}\\?q=50&exp=${at}&sig=`));
    await edgeAccepts(fixed.path, at - 1);
  });

  it("another owner's image, an unknown id and an unconfigured source are 404", async () => {
    const stranger = await ownerToken(origin, 'sign-stranger');
    await expectProblem(await sign(stranger, { path: `/img/w=100/${id}` }), 404, 'not_found');
    await expectProblem(await sign(owner, { path: '/img/w=100/nosuchimage0001' }), 404, 'not_found');
    await expectProblem(await sign(owner, { path: '/img/w=100/@nowhere/a.jpg' }), 404, 'not_found');
  });

  it('bad paths are 400 with the grammar’s own code', async () => {
    const unknown = await expectProblem(
      await sign(owner, { path: `/img/wdth=100/${id}` }),
      400,
      'invalid_option',
    );
    expect(unknown.detail).toContain('wdth');
    await expectProblem(await sign(owner, { path: `/img/w=99999/${id}` }), 400, 'invalid_option');
    await expectProblem(await sign(owner, { path: `/api/v1/images/${id}` }), 400, 'invalid_request');
    await expectProblem(await sign(owner, { path: '/img/w=100/@shop/a%2Fb.jpg' }), 400, 'invalid_request');
  });

  it('hostile bodies: missing path, wrong types, unknown fields, bad expiry, not JSON, huge, wrong type', async () => {
    for (const body of [
      {},
      { path: 42 },
      { path: '' },
      { path: `/img/${id}`, extra: 1 },
      { path: `/img/${id}`, expires_in: 0 },
      { path: `/img/${id}`, expires_in: 31_536_001 },
      { path: `/img/${id}`, expires_in: 1.5 },
      { path: `/img/${id}`, expires_in: 60, expires_at: 2_000_000_000 },
      { path: `/img/${id}`, expires_at: 1000 },
      [],
      '{"path":',
    ]) {
      await expectProblem(await sign(owner, body), 400, 'invalid_request');
    }
    const huge = { path: `/img/${id}`, pad: 'x'.repeat(64 * 1024) };
    await expectProblem(await sign(owner, huge), 413, 'payload_too_large');
    await expectProblem(
      await sign(owner, `path=/img/${id}`, { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'unsupported_media_type',
    );
  });

  it('needs a token with images:write, and only POST', async () => {
    const reader = await ownerToken(origin, 'sign-owner', 'images:read');
    await expectProblem(await sign(reader, { path: `/img/${id}` }), 403, 'insufficient_scope');
    const res = await fetch(`${origin.api}/sign`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: `/img/${id}` }),
    });
    await expectProblem(res, 401, 'invalid_token');
    const get = await fetch(`${origin.api}/sign`, { headers: bearer(owner) });
    await expectProblem(get, 405, 'method_not_allowed');
  });
});
