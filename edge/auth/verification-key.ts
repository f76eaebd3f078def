import { createRemoteJWKSet } from 'jose';
import type { VerificationKey } from '../../shared/auth/jwt.js';
import type { EdgeConfig } from '../config.js';

const remoteSets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

/**
 * The key that verifies API tokens: the shared HS256 secret, or the origin's JWKS (fetched on
 * demand, cached for 10 minutes, refetched at most every 30 s when an unknown `kid` appears —
 * which is how a key rotation reaches the edge).
 */
export function verificationKey(config: EdgeConfig): { key: VerificationKey; algorithms: string[] } {
  if (config.jwt.jwksUrl) {
    let set = remoteSets.get(config.jwt.jwksUrl);
    if (!set) {
      set = createRemoteJWKSet(new URL(config.jwt.jwksUrl), {
        cacheMaxAge: 600_000,
        cooldownDuration: 30_000,
        timeoutDuration: 3_000,
      });
      remoteSets.set(config.jwt.jwksUrl, set);
    }
    return { key: set, algorithms: ['ES256'] };
  }
  return { key: new TextEncoder().encode(config.jwt.secret ?? ''), algorithms: ['HS256'] };
}
