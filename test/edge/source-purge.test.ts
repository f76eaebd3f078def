/**
 * DELETE /api/v1/sources/<name>/<path> through the edge: JWT with images:write, proxied to the real
 * origin, which forgets the cached source; after the origin's 204 the edge purges the source's
 * Cache-Tag (sourceCacheTag) through Cloudflare's API (the stand-in server), as image deletes do.
 * The main test origin's source `edge` lives on the stub server, which serves a real JPEG at the
 * path: the origin fetches and keeps it, so there is something to forget.
 */
import { SignJWT } from 'jose';
import { describe, expect, inject, it } from 'vitest';
import { sourceCacheTag } from '../../shared/sources/index.js';
import { call, makeEnv, problem } from './helpers.js';

const API = '/api/v1';
const bearer = { authorization: `Bearer ${inject('apiToken')}` };
const purgeEnv = () =>
  makeEnv({
    CF_ZONE_ID: 'zone123',
    CF_API_TOKEN: 'cf-token-for-tests',
    CF_API_BASE: `${inject('stubUrl')}/cloudflare`,
  });

async function purges(): Promise<{ zone: string; body: { tags: string[] } }[]> {
  return (await fetch(`${inject('stubUrl')}/cloudflare/purges`)).json() as never;
}

/** Ask the origin for the source image, as the edge does on a miss: it fetches and caches it. */
async function cacheAtOrigin(path: string): Promise<void> {
  const res = await fetch(`${inject('originUrl')}/internal/v1/variants/@edge/${path}?format=webp`, {
    headers: { authorization: `Bearer ${inject('originToken')}` },
  });
  expect([res.status, res.headers.get('content-type')]).toEqual([200, 'image/webp']);
  await res.body?.cancel();
}

function readOnlyToken(): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: 'images:read' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('edge-source-reader')
    .setIssuer('imgedge')
    .setAudience('imgedge-api')
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(new TextEncoder().encode(inject('jwtSecret')));
}

describe('source purge through the edge', () => {
  it("purges the source's Cache-Tag after the origin forgot it (204), and nothing when there was nothing", async () => {
    const path = `purge-${crypto.randomUUID().slice(0, 8)}.jpg`;
    await cacheAtOrigin(path);
    const env = purgeEnv();
    const before = (await purges()).length;
    const res = await call(`${API}/sources/edge/${path}`, { method: 'DELETE', headers: bearer, env });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    const after = await purges();
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)).toMatchObject({
      zone: 'zone123',
      body: { tags: [sourceCacheTag({ source: 'edge', path })] },
    });

    // Forgotten: a second purge is the origin's 404, passed on, and purges nothing.
    const again = await call(`${API}/sources/edge/${path}`, { method: 'DELETE', headers: bearer, env });
    expect(again.status).toBe(404);
    expect(await problem(again)).toMatchObject({ code: 'not_found' });
    expect(await purges()).toHaveLength(before + 1);
  });

  it('refuses without images:write, a bad path and an unknown source, purging nothing', async () => {
    const env = purgeEnv();
    const before = (await purges()).length;
    const path = `${API}/sources/edge/anything.png`;
    expect((await call(path, { method: 'DELETE', env })).status).toBe(401);
    const reader = { authorization: `Bearer ${await readOnlyToken()}` };
    const denied = await call(path, { method: 'DELETE', headers: reader, env });
    expect(denied.status).toBe(403);
    expect(await problem(denied)).toMatchObject({ code: 'insufficient_scope' });
    const bad = await call(`${API}/sources/edge/a/..%2f..%2fb.png`, {
      method: 'DELETE',
      headers: bearer,
      env,
    });
    expect(bad.status).toBe(400);
    expect(await problem(bad)).toMatchObject({ code: 'invalid_request' });
    const unknown = await call(`${API}/sources/nosuch/a.png`, { method: 'DELETE', headers: bearer, env });
    expect(unknown.status).toBe(404);
    expect(await purges()).toHaveLength(before);
  });

  it('answers another method with 405 and Allow: DELETE', async () => {
    const res = await call(`${API}/sources/edge/a.png`, { headers: bearer });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('DELETE');
  });
});
