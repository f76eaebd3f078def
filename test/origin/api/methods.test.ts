/**
 * A known route of the origin's public API asked with a method it does not serve is 405 with
 * `Allow` (problem+json `method_not_allowed`), before authentication; an unknown path stays 404.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../support/db.js';
import { startTestOrigin, type TestOrigin } from '../../support/origin.js';
import { bearer, expectProblem, ownerToken } from './helpers.js';

let origin: TestOrigin;

beforeAll(async () => {
  origin = await startTestOrigin();
});
afterAll(() => origin?.close());

describeDb('origin API: 405 Method Not Allowed', () => {
  const cases: [method: string, path: string, allow: string][] = [
    ['PUT', '/images', 'GET, HEAD, POST'],
    ['DELETE', '/images', 'GET, HEAD, POST'],
    ['PUT', '/images/AAAAAAAAAAAAAAAAAAAAAA', 'GET, HEAD, PATCH, DELETE'],
    ['POST', '/images/AAAAAAAAAAAAAAAAAAAAAA', 'GET, HEAD, PATCH, DELETE'],
    ['GET', '/oauth/token', 'POST'],
  ];

  it('answers 405 with Allow, with or without a token', async () => {
    const token = await ownerToken(origin, 'methods');
    for (const [method, path, allow] of cases) {
      for (const headers of [{}, bearer(token)]) {
        const res = await fetch(`${origin.api}${path}`, { method, headers });
        const problem = await expectProblem(res, 405, 'method_not_allowed');
        expect(res.headers.get('allow'), `${method} ${path}`).toBe(allow);
        expect(problem.detail).toBe(`${method} is not allowed on /api/v1${path}; allowed: ${allow}`);
      }
    }
  });

  it('still serves the allowed methods, and an unknown path is 404', async () => {
    const token = await ownerToken(origin, 'methods-ok');
    expect((await fetch(`${origin.api}/images`, { headers: bearer(token) })).status).toBe(200);
    expect((await fetch(`${origin.api}/images`, { method: 'HEAD', headers: bearer(token) })).status).toBe(
      200,
    );
    await expectProblem(
      await fetch(`${origin.api}/nothing-here`, { method: 'PUT', headers: bearer(token) }),
      404,
      'not_found',
    );
  });
});
