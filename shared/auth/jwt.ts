/**
 * Access-token verification, shared by the edge and the origin (defence in depth: both verify).
 * jose does the cryptography; this module fixes the policy: issuer, audience, an algorithm
 * allowlist (never `none`), expiry with a small clock tolerance, a subject, and scopes.
 */
import { errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { insufficientScopeError, invalidTokenError } from './bearer.js';
import { parseScopeClaim } from './scopes.js';

export interface AccessTokenPolicy {
  issuer: string;
  audience: string;
  /** e.g. ['HS256'] for a shared secret, ['ES256'] for a JWKS. `none` is never accepted. */
  algorithms: readonly string[];
  /** Seconds of clock skew tolerated on exp/nbf/iat. Default 30. */
  clockToleranceSeconds?: number;
  /** Tokens older than this are refused even if `exp` is far away. Default 24 h. */
  maxTokenAgeSeconds?: number;
}

/** A symmetric secret (HS*) or a key resolver such as jose's createRemoteJWKSet / createLocalJWKSet. */
export type VerificationKey = Uint8Array | JWTVerifyGetKey;

export interface AccessClaims {
  sub: string;
  scopes: Set<string>;
  exp: number;
  iat: number | undefined;
  jti: string | undefined;
  raw: JWTPayload;
}

export async function verifyAccessToken(
  token: string,
  key: VerificationKey,
  policy: AccessTokenPolicy,
): Promise<AccessClaims> {
  const algorithms = policy.algorithms.filter((a) => a.toLowerCase() !== 'none');
  if (algorithms.length === 0) throw new Error('verifyAccessToken: the algorithm allowlist is empty');
  let payload: JWTPayload;
  try {
    const options = {
      issuer: policy.issuer,
      audience: policy.audience,
      algorithms,
      clockTolerance: policy.clockToleranceSeconds ?? 30,
      maxTokenAge: policy.maxTokenAgeSeconds ?? 86_400,
      requiredClaims: ['exp', 'sub', 'iat'],
    };
    // jose has separate overloads for a static key and a key resolver.
    const result =
      typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
    payload = result.payload;
  } catch (err) {
    throw invalidTokenError(describeJoseError(err), err);
  }
  if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
    throw invalidTokenError('The token has no subject');
  }
  return {
    sub: payload.sub,
    scopes: parseScopeClaim(payload.scope),
    exp: payload.exp as number,
    iat: payload.iat,
    jti: payload.jti,
    raw: payload,
  };
}

/** Throws 403 insufficient_scope unless the claims grant `scope`. */
export function requireScope(claims: AccessClaims, scope: string): void {
  if (!claims.scopes.has(scope)) throw insufficientScopeError(scope);
}

function describeJoseError(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'The token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'The token is not meant for this audience';
    if (err.claim === 'iss') return 'The token was not issued by this issuer';
    if (err.claim === 'nbf') return 'The token is not valid yet';
    return `The token claim "${err.claim}" is invalid`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return 'The token algorithm is not allowed';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'The token signature is invalid';
  if (err instanceof errors.JWKSNoMatchingKey) return 'No key matches the token';
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JOSENotSupported) {
    return 'The token cannot be verified';
  }
  return 'The token is malformed';
}
