/**
 * /admin/v1/clients: client management through a running origin, for the client CLI when the
 * origin holds the embedded database (PGlite has one writer: the origin's own process).
 *
 *   POST   /admin/v1/clients        {name, scopes}  → 201 {client_id, client_secret, name, scopes}
 *   GET    /admin/v1/clients                        → 200 [{client_id, name, scopes, revoked_at}]
 *   DELETE /admin/v1/clients/:id                    → 200 {client_id, revoked: true} | 404
 *
 * Mounted (origin/http/app.ts) only when the origin holds a PGlite folder, behind `adminGuard`:
 * loopback peers only, with a bearer token the process made at start and wrote only into its 0600
 * lock file in PGLITE_DIR. Whoever may run the CLI on the data folder can read it; nobody else.
 * Not ORIGIN_AUTH_TOKEN (and not under /internal/*): that token is the edge worker's, and the edge
 * must not be able to mint clients.
 */

import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { isScope } from '../../../shared/auth/scopes.js';
import { ImgedgeError } from '../../../shared/errors.js';
import { createClient, revokeClient } from '../../auth/clients.js';
import { listClients, type OAuthClient } from '../../db/clients.js';
import type { Db } from '../../db/driver.js';
import type { OriginEnv } from '../env.js';
import { requireOriginToken } from '../middleware/require-origin-token.js';

/** One listed client, as `GET /admin/v1/clients` and `client list` show it (never a secret). */
export function listedClient(c: OAuthClient) {
  return { client_id: c.id, name: c.name, scopes: c.scopes, revoked_at: c.revokedAt };
}

export function clientAdminRoutes(db: Db) {
  const app = new Hono<OriginEnv>();
  app.post('/clients', async (c) => {
    const body = (await c.req.json().catch(() => null)) as { name?: unknown; scopes?: unknown } | null;
    const name = typeof body?.name === 'string' ? body.name.trim() : '';
    const scopes = body?.scopes;
    if (!name) throw new ImgedgeError('invalid_request', 'name is required');
    if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s) => isScope(s))) {
      throw new ImgedgeError('invalid_request', 'scopes must be a non-empty list of known scopes');
    }
    return c.json(await createClient(db, name, scopes as string[]), 201);
  });
  app.get('/clients', async (c) => c.json((await listClients(db)).map(listedClient)));
  app.delete('/clients/:id', async (c) => {
    const id = c.req.param('id');
    if (!(await revokeClient(db, id))) throw new ImgedgeError('not_found', `no active client ${id}`);
    return c.json({ client_id: id, revoked: true });
  });
  return app;
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** Loopback peers holding the process's admin token. */
export function adminGuard(token: string) {
  const byToken = requireOriginToken(token, 'This endpoint is only for the imgedge client CLI');
  return createMiddleware<OriginEnv>(async (c, next) => {
    let address: string | undefined;
    try {
      address = getConnInfo(c).remote.address;
    } catch {
      address = undefined; // not served by @hono/node-server: no peer to trust
    }
    if (!address || !LOOPBACK.test(address)) {
      throw new ImgedgeError('forbidden', 'The admin API answers only on loopback');
    }
    return byToken(c, next);
  });
}
