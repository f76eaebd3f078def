import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { TokenKeys } from './keys.js';

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/** Sign a short-lived access token for a client (RFC 6749 §4.4.3 response body). */
export async function issueAccessToken(
  keys: TokenKeys,
  subject: string,
  scopes: readonly string[],
  ttlSeconds: number,
): Promise<IssuedToken> {
  const scope = [...scopes].sort().join(' ');
  const jwt = await new SignJWT({ scope })
    .setProtectedHeader(
      keys.kid ? { alg: keys.alg, kid: keys.kid, typ: 'at+jwt' } : { alg: keys.alg, typ: 'at+jwt' },
    )
    .setIssuer(keys.policy.issuer)
    .setAudience(keys.policy.audience)
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .setJti(randomUUID())
    .sign(keys.signingKey);
  return { access_token: jwt, token_type: 'Bearer', expires_in: ttlSeconds, scope };
}
