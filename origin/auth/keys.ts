/**
 * The origin's token keys. HS256 from SECRET_KEY by default (the edge verifies with the same
 * secret); ES256 from JWT_PRIVATE_JWK when set, with the public half published as a JWKS.
 */
import {
  type CryptoKey,
  calculateJwkThumbprint,
  createLocalJWKSet,
  importJWK,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import type { AccessTokenPolicy, VerificationKey } from '../../shared/auth/jwt.js';
import type { Config } from '../config/load.js';

export interface TokenKeys {
  alg: 'HS256' | 'ES256';
  kid: string | undefined;
  signingKey: CryptoKey | Uint8Array;
  verificationKey: VerificationKey;
  /** Public keys to publish at /.well-known/jwks.json (ES256 only). */
  jwks: JSONWebKeySet | undefined;
  policy: AccessTokenPolicy;
}

export async function loadTokenKeys(config: Pick<Config, 'secretKey' | 'jwt'>): Promise<TokenKeys> {
  const base = { issuer: config.jwt.issuer, audience: config.jwt.audience };
  if (!config.jwt.privateJwk) {
    const secret = new TextEncoder().encode(config.secretKey);
    return {
      alg: 'HS256',
      kid: undefined,
      signingKey: secret,
      verificationKey: secret,
      jwks: undefined,
      policy: { ...base, algorithms: ['HS256'] },
    };
  }
  const priv = JSON.parse(config.jwt.privateJwk) as JWK;
  // Publish only the public members, whatever else the configured JWK carries.
  const pub: JWK = { kty: priv.kty, crv: priv.crv, x: priv.x, y: priv.y };
  const kid = priv.kid ?? (await calculateJwkThumbprint(pub));
  const jwks = { keys: [{ ...pub, kid, alg: 'ES256', use: 'sig' }] };
  const signingKey = (await importJWK({ ...priv, alg: 'ES256' }, 'ES256')) as CryptoKey;
  return {
    alg: 'ES256',
    kid,
    signingKey,
    verificationKey: createLocalJWKSet(jwks),
    jwks,
    policy: { ...base, algorithms: ['ES256'] },
  };
}
