import type { Db } from './driver.js';

/** An OAuth2 client (client-credentials grant). Only a hash of its secret is stored. */
export interface OAuthClient {
  id: string;
  name: string;
  secretHash: string;
  scopes: string[];
  createdAt: Date;
  revokedAt: Date | null;
}

/** A client row to insert: its secret already hashed. */
export interface ClientInsert {
  id: string;
  name: string;
  secretHash: string;
  scopes: readonly string[];
}

/** The columns of an OAuthClient, named as its fields (the row needs no mapping in JS). */
const COLUMNS =
  'id, name, secret_hash as "secretHash", scopes, created_at as "createdAt", revoked_at as "revokedAt"';

/** Inserts a client; a duplicate id is a unique violation (see isUniqueViolation). */
export async function insertClient(db: Db, client: ClientInsert): Promise<OAuthClient> {
  const rows = await db.query<OAuthClient>(
    `insert into oauth_clients (id, name, secret_hash, scopes) values ($1, $2, $3, $4::text[])
     returning ${COLUMNS}`,
    [client.id, client.name, client.secretHash, [...client.scopes]],
  );
  return rows[0]!;
}

/** A client by id, revoked or not (the token endpoint checks `revokedAt`); null when unknown. */
export async function getClient(db: Db, id: string): Promise<OAuthClient | null> {
  const rows = await db.query<OAuthClient>(`select ${COLUMNS} from oauth_clients where id = $1`, [id]);
  return rows[0] ?? null;
}

/** Revokes a client; false when it is unknown or already revoked. */
export async function revokeClient(db: Db, id: string): Promise<boolean> {
  const rows = await db.query<{ id: string }>(
    'update oauth_clients set revoked_at = now() where id = $1 and revoked_at is null returning id',
    [id],
  );
  return rows.length > 0;
}

/** Every client, oldest first. */
export async function listClients(db: Db): Promise<OAuthClient[]> {
  const rows = await db.query<OAuthClient>(`select ${COLUMNS} from oauth_clients order by created_at, id`);
  return rows;
}
