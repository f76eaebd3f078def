/**
 * Manage OAuth clients:
 *   npm run client -- create --name NAME --scopes images:read,images:write
 *   npm run client -- revoke CLIENT_ID
 *   npm run client -- list
 * Uses the same database settings as the origin (DATABASE_URL / DB_* / PGLITE_DIR).
 * `create` prints {client_id, client_secret, …} as JSON once: the secret is stored only hashed.
 *
 * Real Postgres: opens the database directly (it has many writers). Embedded PGlite has one writer:
 * when a live origin holds PGLITE_DIR, the CLI goes through that origin's /admin/v1/clients (URL
 * and token from the folder's lock file, see origin/db/dir-lock.ts); when nothing holds it, the
 * CLI opens the folder itself (and holds it while it runs).
 */
import { parseArgs } from 'node:util';
import { isScope } from '../../shared/auth/scopes.js';
import { createClient, type IssuedClient, revokeClient } from '../auth/clients.js';
import { ConfigError, loadDatabaseConfig } from '../config/load.js';
import { listClients } from '../db/clients.js';
import { connectDb } from '../db/connect.js';
import { DirLockedError, type LockHolder, liveHolder } from '../db/dir-lock.js';
import { migrate } from '../db/migrate.js';
import { listedClient } from '../http/routes/clients-admin.js';

/** What `create` grants without --scopes (said on stderr, so that nobody is surprised). */
const DEFAULT_SCOPES = ['images:read'];

const USAGE = `usage:
  client create --name NAME [--scopes images:read,images:write]   (default scope: ${DEFAULT_SCOPES.join(',')})
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
      if (values.scopes === undefined) {
        process.stderr.write(
          `client: no --scopes given: the client gets ${DEFAULT_SCOPES.join(',')} only ` +
            '(read; pass --scopes images:read,images:write to let it upload and delete)\n',
        );
      }
      const scopes = (values.scopes ?? DEFAULT_SCOPES.join(','))
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

type Listed = ReturnType<typeof listedClient>;

/** The three operations, on the database itself or through the origin that holds it. */
interface ClientAdmin {
  create(name: string, scopes: string[]): Promise<IssuedClient>;
  /** False when there is no active client with this id. */
  revoke(id: string): Promise<boolean>;
  list(): Promise<Listed[]>;
  close(): Promise<void>;
}

async function openDirect(database: ReturnType<typeof loadDatabaseConfig>): Promise<ClientAdmin> {
  const db = await connectDb({ databaseUrl: database.url, pgliteDir: database.pgliteDir, maxConnections: 1 });
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return {
    create: (name, scopes) => createClient(db, name, scopes),
    revoke: (id) => revokeClient(db, id),
    list: async () => (await listClients(db)).map(listedClient),
    close: () => db.close(),
  };
}

function throughOrigin(holder: LockHolder & { admin_url: string; admin_token: string }): ClientAdmin {
  const call = async (method: string, path: string, body?: unknown) => {
    let res: Response;
    try {
      res = await fetch(`${holder.admin_url}/admin/v1/clients${path}`, {
        method,
        headers: {
          authorization: `Bearer ${holder.admin_token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new Error(
        `the origin holding PGLITE_DIR (process ${holder.pid}) does not answer at ${holder.admin_url}: ${
          err instanceof Error ? err.message : String(err)
        }`,
      );
    }
    return res;
  };
  const fail = async (res: Response): Promise<never> => {
    const problem = (await res.json().catch(() => ({}))) as { detail?: string; title?: string };
    throw new Error(
      `the origin (process ${holder.pid}) answered ${res.status}: ${problem.detail ?? problem.title ?? ''}`,
    );
  };
  return {
    async create(name, scopes) {
      const res = await call('POST', '', { name, scopes });
      return res.status === 201 ? ((await res.json()) as IssuedClient) : fail(res);
    },
    async revoke(id) {
      const res = await call('DELETE', `/${encodeURIComponent(id)}`);
      if (res.status === 404) return false;
      if (res.ok) return true;
      return fail(res);
    },
    async list() {
      const res = await call('GET', '');
      return res.ok ? ((await res.json()) as Listed[]) : fail(res);
    },
    close: async () => {},
  };
}

/** Postgres, or a PGlite folder nobody holds: directly. A folder a live origin holds: through it. */
async function openAdmin(): Promise<ClientAdmin> {
  const database = loadDatabaseConfig();
  if (database.url || database.pgliteDir.includes('://')) return openDirect(database);
  const holder = await liveHolder(database.pgliteDir);
  if (!holder) return openDirect(database);
  const { admin_url, admin_token } = holder;
  // Held by something that serves no admin API (another CLI, `npm start` setting up…): refuse.
  if (!admin_url || !admin_token) throw new DirLockedError(database.pgliteDir, holder);
  return throughOrigin({ ...holder, admin_url, admin_token });
}

async function main(argv: string[]): Promise<number> {
  const command = parseCommand(argv);
  if (command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const admin = await openAdmin();
  try {
    switch (command.name) {
      case 'create': {
        const client = await admin.create(command.clientName!, command.scopes!);
        process.stdout.write(`${JSON.stringify(client, null, 2)}\n`);
        return 0;
      }
      case 'revoke': {
        const id = command.id!;
        if (!(await admin.revoke(id))) {
          process.stderr.write(`no active client ${id}\n`);
          return 1;
        }
        process.stdout.write(`${JSON.stringify({ client_id: id, revoked: true })}\n`);
        return 0;
      }
      case 'list': {
        process.stdout.write(`${JSON.stringify(await admin.list(), null, 2)}\n`);
        return 0;
      }
    }
  } finally {
    await admin.close();
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
