import { Hono } from 'hono';
import type { JSONWebKeySet } from 'jose';
import type { OriginEnv } from '../env.js';

/** The public keys that verify access tokens (only when tokens are ES256-signed). */
export function jwksRoutes(jwks: JSONWebKeySet) {
  const app = new Hono<OriginEnv>();
  app.get('/.well-known/jwks.json', (c) => {
    c.header('cache-control', 'public, max-age=300');
    return c.json(jwks);
  });
  return app;
}
