/**
 * The edge answers a known path asked with a method it does not serve with 405 and `Allow`
 * (problem+json `method_not_allowed`), before authentication, instead of 404.
 */
import { describe, expect, inject, it } from 'vitest';
import { call, problem } from './helpers.js';

describe('405 Method Not Allowed at the edge', () => {
  const id = 'AAAAAAAAAAAAAAAAAAAAAA';
  const cases: [method: string, path: string, allow: string][] = [
    ['POST', `/img/card/${id}`, 'GET, HEAD'],
    ['DELETE', `/img/${id}`, 'GET, HEAD'],
    ['PUT', '/api/v1/images', 'GET, HEAD, POST'],
    ['PUT', `/api/v1/images/${id}`, 'GET, HEAD, PATCH, DELETE'],
    ['GET', '/api/v1/oauth/token', 'POST'],
  ];

  for (const [method, path, allow] of cases) {
    it(`${method} ${path} → 405, Allow: ${allow}`, async () => {
      const tokens: Record<string, string>[] = [{}, { authorization: `Bearer ${inject('apiToken')}` }];
      for (const headers of tokens) {
        const res = await call(path, { method, headers });
        expect(res.status).toBe(405);
        expect(res.headers.get('allow')).toBe(allow);
        const body = await problem(res);
        expect(body).toMatchObject({ code: 'method_not_allowed', status: 405 });
        expect(body.detail).toBe(`${method} is not allowed on ${path}; allowed: ${allow}`);
      }
    });
  }

  it('HEAD still works where GET does', async () => {
    const res = await call(`/img/thumb/${inject('images').photo}`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('allow')).toBeNull();
  });
});
