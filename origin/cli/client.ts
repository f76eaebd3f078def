/**
 * Manage OAuth clients:
 *   npm run client -- create --name NAME --scopes images:read,images:write
 *   npm run client -- revoke CLIENT_ID
 *   npm run client -- list
 * Uses the same database settings as the origin (DATABASE_URL / DB_* / PGLITE_DIR).
 * `create` prints {client_id, client_secret, …} as JSON once: the secret is stored only hashed.
 */
import { parseArgs } from 'node:util';
import { isScope } from '../../shared/auth/scopes.js';
import { createClient, revokeClient } from '../auth/clients.js';
import { ConfigError, loadDatabaseConfig } from '../config/load.js';
import { listClients } from '../db/clients.js';
import { connectDb } from '../db/connect.js';
import { migrate } from '../db/migrate.js';

const USAGE = `usage:
  client create --name NAME --scopes images:read,images:write
  client revoke CLIENT_ID
  client list`;

interface Command {
  name: 'create' | 'revoke' | 'list';
  clientName?: string;
  scopes?: string[];
  id?: string;
}

const OPTIONS = {
  name: { type: 'string' },
  scopes: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function readArgs(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    // Unknown option, missing option value…: a usage error like any other.
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** Validates the command line completely before anything touches the database. */
function parseCommand(argv: string[]): Command | 'help' {
  const { positionals, values } = readArgs(argv);
  const [command, ...rest] = positionals;
  if (values.help) return 'help';
  if (!command) throw new UsageError('missing command');
  switch (command) {
    case 'create': {
      if (!values.name?.trim()) throw new UsageError('create needs --name');
      if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
      const scopes = (values.scopes ?? 'images:read')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = scopes.filter((s) => !isScope(s));
      if (bad.length > 0) throw new UsageError(`unknown scope(s): ${bad.join(', ')}`);
      if (scopes.length === 0) throw new UsageError('--scopes needs at least one scope');
      return { name: 'create', clientName: values.name.trim(), scopes };
    }
    case 'revoke': {
      if (rest.length !== 1 || !rest[0]) throw new UsageError('revoke needs exactly one CLIENT_ID');
      return { name: 'revoke', id: rest[0] };
    }
    case 'list':
      if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
      return { name: 'list' };
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

async function main(argv: string[]): Promise<number> {
  const command = parseCommand(argv);
  if (command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const database = loadDatabaseConfig();
  const db = await connectDb({ databaseUrl: database.url, pgliteDir: database.pgliteDir, maxConnections: 1 });
  try {
    await migrate(db);
    switch (command.name) {
      case 'create': {
        const client = await createClient(db, command.clientName!, command.scopes!);
        process.stdout.write(`${JSON.stringify(client, null, 2)}\n`);
        return 0;
      }
      case 'revoke': {
        const id = command.id!;
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
    }
  } finally {
    await db.close();
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // 2: bad usage or configuration (nothing was done); 1: the operation itself failed.
    if (err instanceof UsageError) process.stderr.write(`client: ${err.message}\n${USAGE}\n`);
    else if (err instanceof ConfigError) process.stderr.write(`client: ${err.message}\n`);
    else process.stderr.write(`client: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof UsageError || err instanceof ConfigError ? 2 : 1);
  },
);
