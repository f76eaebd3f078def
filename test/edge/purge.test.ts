/**
 * Deleting an image purges its cached variants everywhere: stored variants carry a Cache-Tag naming
 * the image, and a successful DELETE calls Cloudflare's purge-by-tag API (a stand-in server here,
 * since the real API cannot be reached; see test/support/edge-stub-server.ts).
 */
import { describe, expect, inject, it } from 'vitest';
import { ACCEPT, call, makeEnv } from './helpers.js';

const API = '/api/v1';
const bearer = { authorization: `Bearer ${inject('apiToken')}` };

async function purges(): Promise<{ zone: string; authorization?: string; body: { tags: string[] } }[]> {
  return (await fetch(`${inject('stubUrl')}/cloudflare/purges`)).json() as never;
}

/** Upload the run's JPEG through the edge: 201, or 200 when another test already holds it live. */
async function uploadThroughEdge(env: ReturnType<typeof makeEnv>): Promise<string> {
  const bytes = Uint8Array.from(atob(inject('uploadJpeg')), (ch) => ch.charCodeAt(0));
  const res = await call(`${API}/images`, {
    method: 'POST',
    headers: { ...bearer, 'content-type': 'image/jpeg' },
    body: bytes,
    env,
  });
  expect([200, 201]).toContain(res.status);
  return ((await res.json()) as { id: string }).id;
}

describe('cache purge on delete', () => {
  it('tags stored variants but never shows the tag to clients, and purges the tag after a DELETE', async () => {
    const env = makeEnv({
      CF_ZONE_ID: 'zone123',
      CF_API_TOKEN: 'cf-token-for-tests',
      CF_API_BASE: `${inject('stubUrl')}/cloudflare`,
    });
    const id = await uploadThroughEdge(env);
    const variant = await call(`/img/hero/${id}`, { headers: { accept: ACCEPT.any }, env });
    expect(variant.status).toBe(200);
    expect(variant.headers.get('cache-tag')).toBeNull();
    const hit = await call(`/img/hero/${id}`, { headers: { accept: ACCEPT.any }, env });
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(hit.headers.get('cache-tag')).toBeNull();

    const before = (await purges()).length;
    const deleted = await call(`${API}/images/${id}`, { method: 'DELETE', headers: bearer, env });
    expect(deleted.status).toBe(204);
    const after = await purges();
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)).toEqual({
      zone: 'zone123',
      authorization: 'Bearer cf-token-for-tests',
      body: { tags: [`imgedge-${id}`] },
    });
  });

  it("drops the deleted image's variants from this location's cache too, without purge credentials", async () => {
    const env = makeEnv();
    const id = await uploadThroughEdge(env);
    const paths = [`/img/hero/${id}`, `/img/thumb/${id}`];
    for (const path of paths) {
      expect((await call(path, { headers: { accept: ACCEPT.chrome }, env })).headers.get('x-cache')).toBe(
        'MISS',
      );
      const hit = await call(path, { headers: { accept: ACCEPT.chrome }, env });
      expect([hit.status, hit.headers.get('x-cache')]).toEqual([200, 'HIT']);
    }
    const deleted = await call(`${API}/images/${id}`, { method: 'DELETE', headers: bearer, env });
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe('');
    for (const path of paths) {
      const after = await call(path, { headers: { accept: ACCEPT.chrome }, env });
      // The first 404 is cached (NOT_FOUND_TTL) for the id, so the second path may HIT it.
      expect(after.status).toBe(404);
    }
  });

  it('purges nothing when the delete is refused', async () => {
    const env = makeEnv({
      CF_ZONE_ID: 'zone123',
      CF_API_TOKEN: 'cf-token-for-tests',
      CF_API_BASE: `${inject('stubUrl')}/cloudflare`,
    });
    const before = (await purges()).length;
    const res = await call(`${API}/images/${inject('images').missing}`, {
      method: 'DELETE',
      headers: bearer,
      env,
    });
    expect(res.status).toBe(404);
    expect(await purges()).toHaveLength(before);
  });
});
