/**
 * /api/v1 at the edge: JWT verification (every failure refused before the origin is called),
 * scopes, a JWKS key rotation, the proxied token endpoint, and uploads (413 at the edge without
 * an origin call; a good upload streamed to the real origin).
 */
import { exportJWK, generateKeyPair, type JWK, SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, inject, it } from 'vitest';
import { ACCEPT, call, makeEnv, metric, originRequests, problem } from './helpers.js';

const API = '/api/v1';
const now = () => Math.floor(Date.now() / 1000);
const secret = () => new TextEncoder().encode(inject('jwtSecret'));

interface Claims {
  scope?: string;
  sub?: string;
  iss?: string;
  aud?: string;
  iat?: number;
  exp?: number;
}

/** A token like the origin's: HS256 over JWT_SECRET, issuer imgedge, audience imgedge-api. */
function craft(claims: Claims = {}, key: Uint8Array | CryptoKey = secret(), header = { alg: 'HS256' }) {
  const c = {
    scope: 'images:read images:write',
    sub: `edge-test-${crypto.randomUUID().slice(0, 8)}`,
    iss: 'imgedge',
    aud: 'imgedge-api',
    iat: now(),
    exp: now() + 300,
    ...claims,
  };
  return new SignJWT({ scope: c.scope })
    .setProtectedHeader(header)
    .setSubject(c.sub)
    .setIssuer(c.iss)
    .setAudience(c.aud)
    .setIssuedAt(c.iat)
    .setExpirationTime(c.exp)
    .sign(key);
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** GET /api/v1/images through the edge. */
const listImages = (headers: Record<string, string>, env?: ReturnType<typeof makeEnv>) =>
  call(`${API}/images`, { headers, ...(env ? { env } : {}) });

/** Expect a 401 from the edge itself: invalid_token, WWW-Authenticate, and no origin call. */
async function expectEdge401(res: Response, before: number, detail?: string) {
  expect(res.status).toBe(401);
  const challenge = res.headers.get('www-authenticate') ?? '';
  expect(challenge).toMatch(/^Bearer realm="imgedge"/);
  const body = await problem(res);
  expect(body.code).toBe('invalid_token');
  if (detail !== undefined) {
    expect(body.detail).toBe(detail);
    expect(challenge).toContain('error="invalid_token"');
  }
  expect(await originRequests()).toBe(before);
}

describe('JWT verification at the edge (HS256, JWT_SECRET)', () => {
  it('a valid token passes through to the real origin', async () => {
    const before = await originRequests();
    const res = await listImages(bearer(await craft()));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ items: [] });
    expect(await originRequests()).toBe(before + 1);
  });

  it('no token: 401 with a bare Bearer challenge', async () => {
    const before = await originRequests();
    const res = await listImages({});
    await expectEdge401(res, before);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="imgedge"');
  });

  it('a non-Bearer Authorization header: 401', async () => {
    const before = await originRequests();
    await expectEdge401(await listImages({ authorization: 'Basic dXNlcjpwYXNz' }), before);
  });

  it('expired beyond the 30 s clock tolerance: 401', async () => {
    const before = await originRequests();
    const token = await craft({ iat: now() - 600, exp: now() - 45 });
    await expectEdge401(await listImages(bearer(token)), before, 'The token has expired');
  });

  it('expired within the 30 s clock tolerance: accepted', async () => {
    const before = await originRequests();
    const res = await listImages(bearer(await craft({ iat: now() - 600, exp: now() - 10 })));
    expect(res.status).toBe(200);
    expect(await originRequests()).toBe(before + 1);
  });

  it('wrong audience: 401', async () => {
    const before = await originRequests();
    const token = await craft({ aud: 'someone-else' });
    await expectEdge401(await listImages(bearer(token)), before, 'The token is not meant for this audience');
  });

  it('wrong issuer: 401', async () => {
    const before = await originRequests();
    const token = await craft({ iss: 'https://evil.example' });
    await expectEdge401(await listImages(bearer(token)), before, 'The token was not issued by this issuer');
  });

  it('signed with another key: 401', async () => {
    const before = await originRequests();
    const token = await craft({}, new TextEncoder().encode('another-secret-another-secret-0123456789'));
    await expectEdge401(await listImages(bearer(token)), before, 'The token signature is invalid');
  });

  it('alg none (an unsecured JWT): 401', async () => {
    const before = await originRequests();
    const token = new UnsecuredJWT({ scope: 'images:read images:write' })
      .setSubject('attacker')
      .setIssuer('imgedge')
      .setAudience('imgedge-api')
      .setIssuedAt()
      .setExpirationTime('5m')
      .encode();
    await expectEdge401(await listImages(bearer(token)), before);
  });

  it('an HS512 token (algorithm outside the allowlist): 401', async () => {
    const before = await originRequests();
    const token = await craft({}, secret(), { alg: 'HS512' });
    await expectEdge401(await listImages(bearer(token)), before, 'The token algorithm is not allowed');
  });

  it('missing scope: 403 insufficient_scope with a WWW-Authenticate challenge', async () => {
    const before = await originRequests();
    const readOnly = await craft({ scope: 'images:read' });
    const res = await call(`${API}/images`, {
      method: 'POST',
      headers: { ...bearer(readOnly), 'content-type': 'image/jpeg' },
      body: new Uint8Array([0xff, 0xd8, 0xff]),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="imgedge", error="insufficient_scope", scope="images:write"',
    );
    expect(await problem(res)).toMatchObject({ code: 'insufficient_scope', scope: 'images:write' });

    const none = await listImages(bearer(await craft({ scope: '' })));
    expect(none.status).toBe(403);
    expect(await problem(none)).toMatchObject({ code: 'insufficient_scope', scope: 'images:read' });
    expect(await originRequests()).toBe(before);
  });
});

describe('the token endpoint is proxied', () => {
  it('issues a real token that then works through the edge', async () => {
    const { id, secret: clientSecret } = inject('client');
    const res = await call(`${API}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': '192.0.2.10' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: id,
        client_secret: clientSecret,
      }),
    });
    expect(res.status).toBe(200);
    const { access_token } = (await res.json()) as { access_token: string };
    expect((await listImages(bearer(access_token))).status).toBe(200);

    const wrong = await call(`${API}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': '192.0.2.10' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: id, client_secret: 'nope' }),
    });
    expect(wrong.status).toBe(401);
    expect(await problem(wrong)).toMatchObject({ code: 'invalid_client' });
  });
});

describe('JWKS (JWKS_URL) and a key rotation', () => {
  interface Key {
    kid: string;
    privateKey: CryptoKey;
    jwk: JWK;
  }
  async function newKey(kid: string): Promise<Key> {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
  }
  const es256 = (key: Key) => craft({}, key.privateKey, { alg: 'ES256', kid: key.kid } as { alg: string });

  it('accepts the new key after a rotation and refuses the old one once removed', async () => {
    const name = `rotation-${inject('runId')}`;
    const jwksUrl = `${inject('stubUrl')}/jwks/${name}`;
    const publish = async (...keys: Key[]) => {
      const res = await fetch(jwksUrl, {
        method: 'PUT',
        body: JSON.stringify({ keys: keys.map((k) => k.jwk) }),
      });
      expect(res.status).toBe(200);
    };
    const fetches = async () =>
      ((await (await fetch(`${jwksUrl}/fetches`)).json()) as { fetches: number }).fetches;
    // Cooldown 0: an unknown kid refetches at once (jose's default, 30 s, would stall this test);
    // max age 300 ms: a removed key stops verifying 300 ms after it leaves the set.
    const env = makeEnv({ JWKS_URL: jwksUrl, JWKS_COOLDOWN_MS: '0', JWKS_CACHE_MAX_AGE_MS: '300' });
    const old = await newKey(`old-${name}`);
    const next = await newKey(`new-${name}`);

    /** Accepted at the edge = forwarded to the origin (which, configured for HS256, refuses). */
    const edgeAccepts = async (token: string): Promise<boolean> => {
      const before = await originRequests();
      const res = await listImages(bearer(token), env);
      const forwarded = (await originRequests()) === before + 1;
      const body = await problem(res);
      if (!forwarded)
        expect(body.detail).toMatch(/No key matches the token|The token algorithm is not allowed/);
      expect(res.status).toBe(401);
      return forwarded;
    };

    await publish(old);
    expect(await edgeAccepts(await es256(old))).toBe(true);
    expect(await edgeAccepts(await es256(next))).toBe(false); // not published yet
    // An HS256 token is refused when the edge verifies with a JWKS (no algorithm confusion).
    expect(await edgeAccepts(await craft())).toBe(false);

    // Rotation, step 1: the new key is published next to the old one.
    await publish(old, next);
    const fetched = await fetches();
    expect(await edgeAccepts(await es256(next))).toBe(true); // unknown kid → refetch → found
    expect(await fetches()).toBeGreaterThan(fetched);
    expect(await edgeAccepts(await es256(old))).toBe(true);

    // Step 2: the old key is removed.
    await publish(next);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await edgeAccepts(await es256(old))).toBe(false);
    expect(await edgeAccepts(await es256(next))).toBe(true);
  });
});

describe('uploads', () => {
  const jpeg = () => Uint8Array.from(atob(inject('uploadJpeg')), (c) => c.charCodeAt(0));

  it('a Content-Length over MAX_FILE_SIZE is a 413 before any origin call', async () => {
    const env = makeEnv({ MAX_FILE_SIZE: '1KiB' });
    const [requests, uploads] = [
      await originRequests(),
      await metric(inject('originUrl'), 'imgedge_uploads_total'),
    ];
    const body = new Uint8Array(4096);
    body.set(jpeg().subarray(0, 1024));
    const res = await call(`${API}/images`, {
      env,
      method: 'POST',
      // What a client's request carries (a Request built in JS has no Content-Length header).
      headers: { ...bearer(inject('apiToken')), 'content-type': 'image/jpeg', 'content-length': '4096' },
      body,
    });
    expect(res.status).toBe(413);
    expect(await problem(res)).toMatchObject({ code: 'payload_too_large', limit: 1024 });
    expect(await originRequests()).toBe(requests);
    expect(await metric(inject('originUrl'), 'imgedge_uploads_total')).toBe(uploads);
  });

  it('a body without Content-Length is cut off past MAX_FILE_SIZE with a 413', async () => {
    const bytes = jpeg();
    expect(bytes.byteLength).toBeGreaterThan(1024);
    const env = makeEnv({ MAX_FILE_SIZE: '1KiB' });
    const created = await metric(inject('originUrl'), 'imgedge_uploads_total', { result: 'created' });
    for (const body of [
      bytes, // a known length, but no Content-Length header
      new ReadableStream<Uint8Array>({
        // a real JPEG, streamed in 256-byte chunks
        start(controller) {
          for (let at = 0; at < bytes.byteLength; at += 256) controller.enqueue(bytes.slice(at, at + 256));
          controller.close();
        },
      }),
    ]) {
      const res = await call(`${API}/images`, {
        env,
        method: 'POST',
        headers: { ...bearer(inject('apiToken')), 'content-type': 'image/jpeg' },
        body,
      });
      expect(res.status).toBe(413);
      expect(await problem(res)).toMatchObject({ code: 'payload_too_large', limit: 1024 });
    }
    expect(await metric(inject('originUrl'), 'imgedge_uploads_total', { result: 'created' })).toBe(created);
  });

  it('a good upload streams through to the real origin: 201, then served at /img/<id>', async () => {
    const bytes = jpeg();
    const res = await call(`${API}/images`, {
      method: 'POST',
      headers: { ...bearer(inject('apiToken')), 'content-type': 'image/jpeg' },
      body: bytes,
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toMatch(/^\/api\/v1\/images\/[A-Za-z0-9_-]+$/);
    const record = (await res.json()) as { id: string; bytes: number; width: number; format: string };
    expect(record).toMatchObject({ bytes: bytes.byteLength, width: 96, height: 64, format: 'jpeg' });

    const img = await call(`/img/${record.id}`, { headers: { accept: ACCEPT.any } });
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/jpeg');

    // The same bytes again by the same owner: the existing record (200), never a duplicate.
    const again = await call(`${API}/images`, {
      method: 'POST',
      headers: { ...bearer(inject('apiToken')), 'content-type': 'image/jpeg' },
      body: bytes,
    });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: string }).id).toBe(record.id);

    // DELETE is proxied too (scope images:write); afterwards a new variant of the id is a 404.
    const deleted = await call(`${API}/images/${record.id}`, {
      method: 'DELETE',
      headers: bearer(inject('apiToken')),
    });
    expect(deleted.status).toBe(204);
    const gone = await call(`/img/hero/${record.id}`, { headers: { accept: ACCEPT.any } });
    expect(gone.status).toBe(404);
  });
});
