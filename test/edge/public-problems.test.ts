/**
 * Problem documents the edge passes through from the origin show the public URL the client asked
 * for, never the origin's internal routes (/internal/v1/variants/…).
 */
import { describe, expect, inject, it } from 'vitest';
import { call, makeEnv, problem } from './helpers.js';

describe('public problem documents on /img/*', () => {
  it('a 404 for an unknown id names the public path as its instance', async () => {
    // A well-formed id (9 characters of the id alphabet) that names no image: the origin's 404.
    const path = `/img/not-an-id${inject('runId').slice(0, 6)}`;
    const res = await call(path);
    expect(res.status).toBe(404);
    const text = await res.clone().text();
    expect(text).not.toContain('/internal/');
    expect(await problem(res)).toMatchObject({ status: 404, code: 'not_found', instance: path });
  });

  it('a cached 404 (one per id) names the path of each request, not the first one', async () => {
    const id = `${inject('images').missing}p`;
    const first = await call(`/img/${id}`);
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(await problem(first)).toMatchObject({ status: 404, instance: `/img/${id}` });

    const again = await call(`/img/thumb/${id}`);
    expect(again.headers.get('x-cache')).toBe('HIT');
    expect(await problem(again)).toMatchObject({ status: 404, instance: `/img/thumb/${id}` });
  });

  it('an uncached origin 404 (NOT_FOUND_TTL=0) names the public path too', async () => {
    const id = `nocache404${inject('runId')}`;
    const res = await call(`/img/card/${id}`, { env: makeEnv({ NOT_FOUND_TTL: '0' }) });
    expect(res.status).toBe(404);
    const body = await problem(res);
    expect(body.instance).toBe(`/img/card/${id}`);
    expect(JSON.stringify(body)).not.toContain('/internal/');
  });
});
