import { createMiddleware } from 'hono/factory';
import { bearerToken } from '../../shared/auth/bearer.js';
import { requireScope, verifyAccessToken } from '../../shared/auth/jwt.js';
import { verificationKey } from '../auth/verification-key.js';
import type { EdgeEnv } from '../env.js';

export interface JwtAuthOptions {
  /** The scope this request needs, by method. */
  scope: (method: string) => string;
}

/** Verifies the Bearer JWT at the edge with the shared code (issuer, audience, algs, 30 s skew, scope). */
export function jwtAuth(options: JwtAuthOptions) {
  return createMiddleware<EdgeEnv>(async (c, next) => {
    const config = c.get('config');
    const { key, algorithms } = verificationKey(config);
    const claims = await verifyAccessToken(bearerToken(c.req.header('authorization')), key, {
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      algorithms,
      clockToleranceSeconds: 30,
    });
    requireScope(claims, options.scope(c.req.method));
    c.set('claims', claims);
    await next();
  });
}
