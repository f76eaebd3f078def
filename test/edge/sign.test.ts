/**
 * POST /api/v1/sign through the edge (JWT, scope and rate limit at the edge, the real origin
 * signing with the edge's SIGNING_KEY), then a GET of the URL it returned: served, under
 * SIGNED_URLS=presets-free and =required. An expired URL is refused, even once its variant is cached.
 */
import { describe, expect, inject, it } from 'vitest';
import { parseImageRequest } from '../../shared/options/index.js';
import { signRequestPath } from '../../shared/signed-url.js';
import { ACCEPT, call, makeEnv, problem } from './helpers.js';

const API = '/api/v1';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

interface Signed {
  url: string;
  path: string;
  expires: number | null;
  canonical: string;
}

async function signVia(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return call(`${API}/sign`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(inject('apiToken')), ...headers },
    body: JSON.stringify(body),
  });
}

describe('POST /api/v1/sign through the edge', () => {
  it('returns a canonical signed path the edge serves', async () => {
    const id = inject('images').photo;
    const res = await signVia({
      path: `/img/width=90,height=60,fit=cover,format=webp/${id}`,
      expires_in: 3600,
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const out = JSON.parse(text) as Signed;
    expect(out.canonical).toBe('w=90,h=60,fit=cover,f=webp');
    expect(out.path).toMatch(new RegExp(`^/img/w=90,h=60,fit=cover,f=webp/${id}\\?exp=\\d+&sig=`));
    expect(out.expires).toBeGreaterThan(Date.now() / 1000);

    for (const env of [makeEnv(), makeEnv({ SIGNED_URLS: 'required' })]) {
      const image = await call(out.path, { headers: { accept: ACCEPT.any }, env });
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/webp');
    }
    // Unsigned, the same URL is refused.
    const unsigned = await call(`/img/w=90,h=60,fit=cover,f=webp/${id}`, { headers: { accept: ACCEPT.any } });
    expect(unsigned.status).toBe(403);
  });

  it('needs images:write at the edge; a bad path is the grammar’s 400', async () => {
    const none = await call(`${API}/sign`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"path":"/img/w=1/abcdefgh"}',
    });
    expect(none.status).toBe(401);
    const bad = await signVia({ path: `/img/wdth=90/${inject('images').photo}` });
    expect(bad.status).toBe(400);
    expect(await problem(bad)).toMatchObject({ code: 'invalid_option' });
  });

  it('an expired URL is refused, even when its variant is cached', async () => {
    const id = inject('images').photo;
    const options = 'w=91,h=61,fit=cover';
    const request = parseImageRequest(`/${options}/${id}`, new URLSearchParams(), {});
    const live = await signRequestPath(request, inject('signingKey'), Math.floor(Date.now() / 1000) + 3600);
    const first = await call(live, { headers: { accept: ACCEPT.any } });
    expect(first.status).toBe(200);
    expect((await call(live, { headers: { accept: ACCEPT.any } })).headers.get('x-cache')).toBe('HIT');

    const expired = await signRequestPath(request, inject('signingKey'), Math.floor(Date.now() / 1000) - 1);
    const refused = await call(expired, { headers: { accept: ACCEPT.any } });
    expect(refused.status).toBe(403);
    expect(await problem(refused)).toMatchObject({ code: 'invalid_signature', reason: 'expired' });
  });
});
