/**
 * Every /api/v1/images* route refuses a request that is not properly authorised: no token, an
 * expired one, the wrong audience or issuer, a bad signature, `alg: none`, a missing scope, and
 * another owner's image (a 404, as if it did not exist, and the image stays).
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../support/db.js';
import { onePixelPng } from '../../support/images.js';
import { startTestOrigin, TEST_SECRET_KEY, type TestOrigin } from '../../support/origin.js';
import {
  bearer,
  expectProblem,
  type ImageRecord,
  ownerToken,
  unsecuredJwt,
  uploadOk,
  validClaims,
} from './helpers.js';

let origin: TestOrigin;
let image: ImageRecord;
let ownerTok: string;

beforeAll(async () => {
  origin = await startTestOrigin();
  ownerTok = await origin.token(['images:read', 'images:write']);
  image = await uploadOk(origin, await onePixelPng({ r: 1, g: 2, b: 3 }), ownerTok);
});
afterAll(() => origin?.close());

interface Route {
  name: string;
  method: string;
  path: () => string;
  scope: 'images:read' | 'images:write';
  body?: () => Promise<Uint8Array>;
  /** Of the body; image/png unless given. */
  contentType?: string;
}

const ROUTES: Route[] = [
  {
    name: 'POST /images',
    method: 'POST',
    path: () => '/images',
    scope: 'images:write',
    body: () => onePixelPng({ r: 9, g: 9, b: 9 }),
  },
  { name: 'GET /images', method: 'GET', path: () => '/images', scope: 'images:read' },
  { name: 'GET /images/:id', method: 'GET', path: () => `/images/${image.id}`, scope: 'images:read' },
  {
    name: 'PATCH /images/:id',
    method: 'PATCH',
    path: () => `/images/${image.id}`,
    scope: 'images:write',
    body: async () => new TextEncoder().encode('{"focal":{"x":0.2,"y":0.8}}'),
    contentType: 'application/json',
  },
  { name: 'DELETE /images/:id', method: 'DELETE', path: () => `/images/${image.id}`, scope: 'images:write' },
];

async function call(route: Route, headers: Record<string, string>): Promise<Response> {
  const body = route.body ? await route.body() : undefined;
  return fetch(`${origin.api}${route.path()}`, {
    method: route.method,
    headers: body ? { ...headers, 'content-type': route.contentType ?? 'image/png' } : headers,
    ...(body ? { body } : {}),
  });
}

/** The owner's image must have survived every refused request. */
async function expectImageIntact(): Promise<void> {
  const res = await fetch(`${origin.api}/images/${image.id}`, { headers: bearer(ownerTok) });
  expect(res.status).toBe(200);
  expect(((await res.json()) as ImageRecord).sha256).toBe(image.sha256);
}

/** Tokens that must each be refused with 401 invalid_token. */
async function badTokens(): Promise<[string, string][]> {
  const otherKey = new TextEncoder().encode(`${TEST_SECRET_KEY}-but-another-one`);
  const good = await origin.craftToken({});
  const [header, , signature] = good.split('.');
  const forgedPayload = Buffer.from(JSON.stringify({ ...validClaims(origin), sub: 'someone-else' })).toString(
    'base64url',
  );
  return [
    ['expired', await origin.craftToken({}, { expiresIn: '-10m' })],
    ['wrong audience', await origin.craftToken({ aud: 'some-other-api' })],
    ['wrong issuer', await origin.craftToken({ iss: 'https://evil.example' })],
    ['wrong signature (another key)', await origin.craftToken({}, { key: otherKey })],
    ['payload swapped under a valid signature', `${header}.${forgedPayload}.${signature}`],
    ['alg none', unsecuredJwt(validClaims(origin))],
    ['alg none with a fake signature', `${unsecuredJwt(validClaims(origin))}c2ln`],
    ['alg HS512 (not on the allowlist)', await origin.craftToken({}, { alg: 'HS512' })],
    ['no subject', await noSubjectToken()],
    ['not a JWT', 'definitely-not-a-jwt'],
    ['three garbage segments', 'a.b.c'],
  ];
}

function noSubjectToken(): Promise<string> {
  return new SignJWT({ scope: 'images:read images:write' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(origin.config.jwt.issuer)
    .setAudience(origin.config.jwt.audience)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(TEST_SECRET_KEY));
}

describeDb('origin API: authorisation of /images*', () => {
  it('accepts a crafted token with the right key and claims (control for the refusals below)', async () => {
    const res = await fetch(`${origin.api}/images`, { headers: bearer(await origin.craftToken({})) });
    expect(res.status).toBe(200);
  });

  for (const route of ROUTES) {
    it(`${route.name}: no token → 401 invalid_token with a Bearer challenge`, async () => {
      const res = await call(route, {});
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="imgedge"/);
      await expectProblem(res, 401, 'invalid_token');
      const basicAuth = await call(route, { authorization: 'Basic dXNlcjpwYXNz' });
      await expectProblem(basicAuth, 401, 'invalid_token');
      await expectImageIntact();
    });

    it(`${route.name}: expired, wrong audience/issuer/signature, alg none… → 401 invalid_token`, async () => {
      for (const [what, token] of await badTokens()) {
        const res = await call(route, bearer(token));
        expect(res.status, what).toBe(401);
        expect(res.headers.get('www-authenticate'), what).toMatch(/error="invalid_token"/);
        await expectProblem(res, 401, 'invalid_token');
      }
      await expectImageIntact();
    });

    it(`${route.name}: a token without ${route.scope} → 403 insufficient_scope`, async () => {
      const other = route.scope === 'images:read' ? 'images:write' : 'images:read';
      // A real token from the token endpoint, for a client that only holds the other scope.
      const token = await origin.token([other]);
      const res = await call(route, bearer(token));
      expect(res.headers.get('www-authenticate')).toBe(
        `Bearer realm="imgedge", error="insufficient_scope", scope="${route.scope}"`,
      );
      const problem = await expectProblem(res, 403, 'insufficient_scope');
      expect(problem.scope).toBe(route.scope);
      await expectImageIntact();
    });
  }

  it("GET and DELETE of another owner's image → 404 not_found, and the image is still there", async () => {
    const stranger = await origin.token(['images:read', 'images:write']);
    const get = await fetch(`${origin.api}/images/${image.id}`, { headers: bearer(stranger) });
    await expectProblem(get, 404, 'not_found');
    const del = await fetch(`${origin.api}/images/${image.id}`, {
      method: 'DELETE',
      headers: bearer(stranger),
    });
    await expectProblem(del, 404, 'not_found');
    // The same answer as for an id that does not exist at all: ids cannot be probed.
    const missing = await fetch(`${origin.api}/images/AAAAAAAAAAAAAAAAAAAAAA`, {
      method: 'DELETE',
      headers: bearer(stranger),
    });
    await expectProblem(missing, 404, 'not_found');
    const list = await fetch(`${origin.api}/images`, { headers: bearer(stranger) });
    expect(((await list.json()) as { items: unknown[] }).items).toEqual([]);
    await expectImageIntact();
  });

  it('a crafted token for another subject sees only its own images', async () => {
    const token = await ownerToken(origin, 'someone-else');
    const res = await fetch(`${origin.api}/images/${image.id}`, { headers: bearer(token) });
    await expectProblem(res, 404, 'not_found');
    await expectImageIntact();
  });
});
