/**
 * PATCH /api/v1/images/:id through the edge: the client gets the bare image record; when the
 * focal point moved, the edge drops the image's variants from this location's cache (the same URL
 * is then a MISS with a new crop) and purges its Cache-Tag through Cloudflare's API (the stub);
 * when nothing moved, or the PATCH is refused, it purges nothing.
 */
import { describe, expect, inject, it } from 'vitest';
import { ACCEPT, call, makeEnv, signed } from './helpers.js';

const API = '/api/v1';
const bearer = { authorization: `Bearer ${inject('apiToken')}` };

async function purges(): Promise<{ body: { tags: string[] } }[]> {
  return (await fetch(`${inject('stubUrl')}/cloudflare/purges`)).json() as never;
}

function purgeEnv() {
  return makeEnv({
    CF_ZONE_ID: 'zone123',
    CF_API_TOKEN: 'cf-token-for-tests',
    CF_API_BASE: `${inject('stubUrl')}/cloudflare`,
  });
}

/** The run's JPEG (96×64) through the edge; the test deletes it again (purge.test.ts uses it too). */
async function upload(env: ReturnType<typeof makeEnv>): Promise<string> {
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

function patch(env: ReturnType<typeof makeEnv>, id: string, body: string): Promise<Response> {
  return call(`${API}/images/${id}`, {
    method: 'PATCH',
    headers: { ...bearer, 'content-type': 'application/json' },
    body,
    env,
  });
}

describe('PATCH /images/:id (focal point) at the edge', () => {
  it('answers the record; a moved point evicts the cover crop here and purges the tag', async () => {
    const env = purgeEnv();
    const id = await upload(env);
    try {
      const url = await signed(`/img/w=32,h=32,fit=cover,f=png/${id}`);
      const first = await call(url, { headers: { accept: ACCEPT.any }, env });
      expect([first.status, first.headers.get('x-cache')]).toEqual([200, 'MISS']);
      const etag = first.headers.get('etag');
      expect((await call(url, { headers: { accept: ACCEPT.any }, env })).headers.get('x-cache')).toBe('HIT');

      const before = (await purges()).length;
      const res = await patch(env, id, '{"focal":{"x":0,"y":0}}');
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('preference-applied')).toBeNull();
      const record = (await res.json()) as Record<string, unknown>;
      // The bare record, as GET gives it (not the origin's envelope for the edge).
      expect(record).toMatchObject({ id, focal: { x: 0, y: 0 } });
      expect(record).not.toHaveProperty('variants');
      const got = await call(`${API}/images/${id}`, { headers: bearer, env });
      expect(await got.json()).toEqual(record);

      const after = await purges();
      expect(after).toHaveLength(before + 1);
      expect(after.at(-1)?.body).toEqual({ tags: [`imgedge-${id}`] });

      // This location's copy went: the same URL is made again, as the new crop.
      const recropped = await call(url, { headers: { accept: ACCEPT.any }, env });
      expect([recropped.status, recropped.headers.get('x-cache')]).toEqual([200, 'MISS']);
      expect(recropped.headers.get('etag')).not.toBe(etag);

      // The same point again: nothing changed, nothing purged, the crop stays cached.
      expect((await patch(env, id, '{"focal":{"x":0,"y":0}}')).status).toBe(200);
      expect(await purges()).toHaveLength(before + 1);
      expect((await call(url, { headers: { accept: ACCEPT.any }, env })).headers.get('x-cache')).toBe('HIT');

      // A refused PATCH (the origin's 400) passes through and purges nothing.
      const bad = await patch(env, id, '{"focal":{"x":2,"y":0}}');
      expect(bad.status).toBe(400);
      expect(bad.headers.get('content-type')).toBe('application/problem+json');
      expect(((await bad.json()) as { code: string }).code).toBe('invalid_request');
      expect(await purges()).toHaveLength(before + 1);
    } finally {
      await call(`${API}/images/${id}`, { method: 'DELETE', headers: bearer, env });
    }
  });

  it('needs images:write like every API write', async () => {
    const res = await call(`${API}/images/${inject('images').photo}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: '{"focal":null}',
    });
    expect(res.status).toBe(401);
  });
});
