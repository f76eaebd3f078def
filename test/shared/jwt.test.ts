import {
  type CryptoKey,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JWK,
  SignJWT,
  UnsecuredJWT,
} from 'jose';
import { describe, expect, it } from 'vitest';
import { bearerToken } from '../../shared/auth/bearer.js';
import { type AccessTokenPolicy, requireScope, verifyAccessToken } from '../../shared/auth/jwt.js';
import { ImgedgeError } from '../../shared/errors.js';

const secret = new TextEncoder().encode('a-test-secret-that-is-long-enough-for-hs256!');
const policy: AccessTokenPolicy = { issuer: 'imgedge', audience: 'imgedge-api', algorithms: ['HS256'] };
const now = () => Math.floor(Date.now() / 1000);

function token(claims: Record<string, unknown> = {}, alg = 'HS256', key: Uint8Array = secret) {
  const {
    exp = now() + 300,
    iat = now(),
    iss = 'imgedge',
    aud = 'imgedge-api',
    sub = 'client-1',
    ...rest
  } = claims;
  const jwt = new SignJWT({ scope: 'images:read images:write', ...rest }).setProtectedHeader({ alg });
  if (iat !== null) jwt.setIssuedAt(iat as number);
  if (exp !== null) jwt.setExpirationTime(exp as number);
  if (iss !== null) jwt.setIssuer(iss as string);
  if (aud !== null) jwt.setAudience(aud as string);
  if (sub !== null) jwt.setSubject(sub as string);
  return jwt.sign(key);
}

async function rejection(p: Promise<unknown>): Promise<ImgedgeError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImgedgeError);
  return err as ImgedgeError;
}

describe('verifyAccessToken (HS256)', () => {
  it('accepts a good token and exposes subject and scopes', async () => {
    const claims = await verifyAccessToken(await token(), secret, policy);
    expect(claims.sub).toBe('client-1');
    expect([...claims.scopes].sort()).toEqual(['images:read', 'images:write']);
  });

  it.each([
    ['expired', { exp: now() - 120 }, 'The token has expired'],
    ['wrong audience', { aud: 'someone-else' }, 'The token is not meant for this audience'],
    ['wrong issuer', { iss: 'evil' }, 'The token was not issued by this issuer'],
    ['no subject', { sub: null }, 'The token claim "sub" is invalid'],
    ['no expiry', { exp: null }, 'The token claim "exp" is invalid'],
  ])('refuses a token with %s', async (_name, claims, detail) => {
    const err = await rejection(verifyAccessToken(await token(claims), secret, policy));
    expect(err.code).toBe('invalid_token');
    expect(err.status).toBe(401);
    expect(err.message).toBe(detail);
    expect(err.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('tolerates 30 s of clock skew and no more', async () => {
    await expect(verifyAccessToken(await token({ exp: now() - 20 }), secret, policy)).resolves.toBeTruthy();
    const err = await rejection(verifyAccessToken(await token({ exp: now() - 45 }), secret, policy));
    expect(err.message).toBe('The token has expired');
  });

  it('refuses a token signed with another key', async () => {
    const other = new TextEncoder().encode('another-secret-another-secret-another-secret');
    const err = await rejection(verifyAccessToken(await token({}, 'HS256', other), secret, policy));
    expect(err.message).toBe('The token signature is invalid');
  });

  it('refuses alg "none" even if the policy lists it', async () => {
    const unsecured = new UnsecuredJWT({ scope: 'images:write' })
      .setIssuer('imgedge')
      .setAudience('imgedge-api')
      .setSubject('client-1')
      .setIssuedAt()
      .setExpirationTime('5m')
      .encode();
    const err = await rejection(
      verifyAccessToken(unsecured, secret, { ...policy, algorithms: ['none', 'HS256'] }),
    );
    expect(err.code).toBe('invalid_token');
  });

  it('refuses an algorithm outside the allowlist', async () => {
    const err = await rejection(verifyAccessToken(await token({}, 'HS512'), secret, policy));
    expect(err.message).toBe('The token algorithm is not allowed');
  });

  it('refuses garbage', async () => {
    const err = await rejection(verifyAccessToken('not.a.jwt', secret, policy));
    expect(err.message).toBe('The token is malformed');
  });
});

describe('verifyAccessToken (JWKS, ES256)', () => {
  async function es256Key(kid: string) {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
    return { privateKey, jwk, kid };
  }
  const esPolicy: AccessTokenPolicy = { ...policy, algorithms: ['ES256'] };
  const sign = (k: { privateKey: CryptoKey; kid: string }) =>
    new SignJWT({ scope: 'images:read' })
      .setProtectedHeader({ alg: 'ES256', kid: k.kid })
      .setIssuer('imgedge')
      .setAudience('imgedge-api')
      .setSubject('client-9')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(k.privateKey);

  it('follows a key rotation: old and new keys verify while both are published, old fails after', async () => {
    const oldKey = await es256Key('2026-01');
    const newKey = await es256Key('2026-02');
    const both = createLocalJWKSet({ keys: [oldKey.jwk, newKey.jwk] });
    expect((await verifyAccessToken(await sign(oldKey), both, esPolicy)).sub).toBe('client-9');
    expect((await verifyAccessToken(await sign(newKey), both, esPolicy)).sub).toBe('client-9');
    const onlyNew = createLocalJWKSet({ keys: [newKey.jwk] });
    expect((await verifyAccessToken(await sign(newKey), onlyNew, esPolicy)).sub).toBe('client-9');
    const err = await rejection(verifyAccessToken(await sign(oldKey), onlyNew, esPolicy));
    expect(err.message).toBe('No key matches the token');
  });

  it('refuses an HS256 token forged with the public key as the secret', async () => {
    const k = await es256Key('k1');
    const forged = await token({}, 'HS256', new TextEncoder().encode(JSON.stringify(k.jwk)));
    const err = await rejection(verifyAccessToken(forged, createLocalJWKSet({ keys: [k.jwk] }), esPolicy));
    expect(err.code).toBe('invalid_token');
  });
});

describe('scopes and bearer header', () => {
  it('requireScope passes a granted scope and refuses a missing one with 403', async () => {
    const claims = await verifyAccessToken(await token({ scope: 'images:read' }), secret, policy);
    expect(() => requireScope(claims, 'images:read')).not.toThrow();
    try {
      requireScope(claims, 'images:write');
      expect.unreachable();
    } catch (e) {
      const err = e as ImgedgeError;
      expect(err.code).toBe('insufficient_scope');
      expect(err.status).toBe(403);
      expect(err.headers['www-authenticate']).toContain('error="insufficient_scope"');
    }
  });

  it('parses Bearer headers strictly', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc.def-_.ghi')).toBe('abc.def-_.ghi');
    for (const bad of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', 'Bearerabc', 'Bearer <script>']) {
      expect(() => bearerToken(bad), bad).toThrowError(ImgedgeError);
    }
    try {
      bearerToken(undefined);
      expect.unreachable();
    } catch (e) {
      expect((e as ImgedgeError).headers['www-authenticate']).toBe('Bearer realm="imgedge"');
    }
  });
});
