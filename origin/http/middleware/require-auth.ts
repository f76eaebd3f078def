import { createMiddleware } from 'hono/factory';
import { bearerToken } from '../../../shared/auth/bearer.js';
import {
  type AccessTokenPolicy,
  requireScope,
  type VerificationKey,
  verifyAccessToken,
} from '../../../shared/auth/jwt.js';
import type { OriginEnv } from '../env.js';

export interface RequireAuthOptions {
  key: VerificationKey;
  policy: AccessTokenPolicy;
  /** The scope a route needs; chosen per request so one middleware can guard reads and writes. */
  scope: (method: string) => string;
}

/** Verifies the Bearer JWT with the same shared code as the edge (defence in depth). */
export function requireAuth(options: RequireAuthOptions) {
  return createMiddleware<OriginEnv>(async (c, next) => {
    const claims = await verifyAccessToken(
      bearerToken(c.req.header('authorization')),
      options.key,
      options.policy,
    );
    requireScope(claims, options.scope(c.req.method));
    c.set('claims', claims);
    await next();
  });
}
