/** OAuth clients: creation (the CLI), authentication (the token endpoint) and revocation. */

import { randomBytes } from 'node:crypto';
import { isScope } from '../../shared/auth/scopes.js';
import { getClient, insertClient, revokeClient } from '../db/clients.js';
import type { Db } from '../db/driver.js';
import { hashSecret, verifySecret } from './password.js';

/** A new client's credentials as issued: the secret is shown this once and never stored. */
export interface IssuedClient {
  client_id: string;
  client_secret: string;
  name: string;
  scopes: string[];
}

export async function createClient(db: Db, name: string, scopes: readonly string[]): Promise<IssuedClient> {
  const bad = scopes.filter((s) => !isScope(s));
  if (bad.length > 0)
    throw new Error(`unknown scope(s): ${bad.join(', ')} (known: images:read, images:write)`);
  if (scopes.length === 0) throw new Error('a client needs at least one scope');
  const id = `cl_${randomBytes(12).toString('base64url')}`;
  const secret = randomBytes(32).toString('base64url');
  await insertClient(db, { id, name, secretHash: await hashSecret(secret), scopes: [...scopes] });
  return { client_id: id, client_secret: secret, name, scopes: [...scopes] };
}

/** The client when id and secret match and it is not revoked; otherwise undefined. */
export async function authenticateClient(db: Db, id: string, secret: string) {
  const client = id.length <= 64 ? await getClient(db, id) : undefined;
  // Verify against a dummy hash when the client is unknown, so timing doesn't reveal which ids exist.
  const ok = await verifySecret(secret, client?.secretHash ?? DUMMY_HASH);
  if (!client || !ok || client.revokedAt) return undefined;
  return client;
}

export { revokeClient };

const DUMMY_HASH = 'scrypt$15$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
