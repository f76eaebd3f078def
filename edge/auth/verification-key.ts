import { createRemoteJWKSet } from 'jose';
import type { VerificationKey } from '../../shared/auth/jwt.js';
import type { EdgeConfig } from '../config.js';

const remoteSets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

/**
 * The key that verifies API tokens: the shared HS256 secret, or the origin's JWKS (fetched on
 * demand, cached for JWKS_CACHE_MAX_AGE_MS (default 10 minutes), refetched at most every
 * JWKS_COOLDOWN_MS (default 30 s) when an unknown `kid` appears — which is how a key rotation
 * reaches the edge; a removed key stops verifying once the cached set is older than the max age).
 */
export function verificationKey(config: EdgeConfig): { key: VerificationKey; algorithms: string[] } {
  const { jwksUrl, jwksCacheMaxAgeMs, jwksCooldownMs } = config.jwt;
  if (jwksUrl) {
    const id = `${jwksUrl} ${jwksCacheMaxAgeMs} ${jwksCooldownMs}`;
    let set = remoteSets.get(id);
    if (!set) {
      set = createRemoteJWKSet(new URL(jwksUrl), {
        cacheMaxAge: jwksCacheMaxAgeMs,
        cooldownDuration: jwksCooldownMs,
        timeoutDuration: 3_000,
      });
      remoteSets.set(id, set);
    }
    return { key: set, algorithms: ['ES256'] };
  }
  return { key: new TextEncoder().encode(config.jwt.secret ?? ''), algorithms: ['HS256'] };
}
