/**
 * Manage OAuth clients:
 *   npm run client -- create --name NAME --scopes images:read,images:write
 *   npm run client -- revoke CLIENT_ID
 *   npm run client -- list
 * Uses the same database settings as the origin (DATABASE_URL / DB_* / PGLITE_DIR).
 * `create` prints {client_id, client_secret, …} as JSON once: the secret is stored only hashed.
 */
import { parseArgs } from 'node:util';
import { createClient, revokeClient } from '../auth/clients.js';
import { ConfigError, loadDatabaseConfig } from '../config/load.js';
import { listClients } from '../db/clients.js';
import { connectDb } from '../db/connect.js';
import { migrate } from '../db/migrate.js';

const USAGE = `usage:
  client create --name NAME --scopes images:read,images:write
  client revoke CLIENT_ID
  client list`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: 'string' }, scopes: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const database = loadDatabaseConfig();
  const db = await connectDb({ databaseUrl: database.url, pgliteDir: database.pgliteDir, maxConnections: 1 });
  try {
    await migrate(db);
    switch (command) {
      case 'create': {
        if (!values.name) throw new UsageError('create needs --name');
        const scopes = (values.scopes ?? 'images:read')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const client = await createClient(db, values.name, scopes);
        process.stdout.write(`${JSON.stringify(client, null, 2)}\n`);
        return 0;
      }
      case 'revoke': {
        const id = rest[0];
        if (!id) throw new UsageError('revoke needs a CLIENT_ID');
        if (!(await revokeClient(db, id))) {
          process.stderr.write(`no active client ${id}\n`);
          return 1;
        }
        process.stdout.write(`${JSON.stringify({ client_id: id, revoked: true })}\n`);
        return 0;
      }
      case 'list': {
        const clients = await listClients(db);
        process.stdout.write(
          `${JSON.stringify(
            clients.map((c) => ({
              client_id: c.id,
              name: c.name,
              scopes: c.scopes,
              revoked_at: c.revokedAt,
            })),
            null,
            2,
          )}\n`,
        );
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } finally {
    await db.close();
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) process.stderr.write(`${err.message}\n${USAGE}\n`);
    else if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else process.stderr.write(`client: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
