/**
 * The client CLI (`npm run client -- …`, i.e. `tsx origin/cli/client.ts`) as a real process against
 * the same database as a real origin process: `create` prints the credentials once as JSON and the
 * secret works at the token endpoint (it is stored only hashed); `revoke` makes the token endpoint
 * refuse the client; `list` shows it revoked; bad usage exits 2 with the usage text and touches
 * no database.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectDb } from '../../../origin/db/connect.js';
import { describeDb } from '../../support/db.js';
import {
  fetchToken,
  type IsolatedDatabase,
  isolatedDatabase,
  type OriginProcess,
  originEnv,
  runClientCli,
  spawnOrigin,
  tempDirs,
} from '../../support/spawn-origin.js';

interface Created {
  client_id: string;
  client_secret: string;
  name: string;
  scopes: string[];
}
interface Listed {
  client_id: string;
  name: string;
  scopes: string[];
  revoked_at: string | null;
}

describeDb('client CLI', () => {
  let database: IsolatedDatabase;
  let dirs: Awaited<ReturnType<typeof tempDirs>>;
  let origin: OriginProcess | undefined;

  beforeAll(async () => {
    database = await isolatedDatabase();
    dirs = await tempDirs();
  });
  afterAll(async () => {
    await origin?.kill();
    await database?.close();
    await dirs?.remove();
  });

  const startOrigin = async () => {
    origin = await spawnOrigin({ ...originEnv(dirs), ...database.env });
    return origin;
  };
  /** PGlite data directories are single-process: stop the origin before the CLI opens it. */
  const stopOriginIfPglite = async () => {
    if (database.kind !== 'pglite' || !origin) return;
    origin.child.kill('SIGTERM');
    expect((await origin.exited).code).toBe(0);
    origin = undefined;
  };
  const cli = (...args: string[]) => runClientCli(args, database.env);

  it('create → token → revoke → refused → list shows it revoked', async () => {
    // create: one JSON document with exactly these members, on stdout; nothing on stderr.
    const made = await cli('create', '--name', 'ci-bot', '--scopes', 'images:read,images:write');
    expect(made.code, made.stderr).toBe(0);
    expect(made.stderr).toBe('');
    const created = JSON.parse(made.stdout) as Created;
    expect(Object.keys(created).sort()).toEqual(['client_id', 'client_secret', 'name', 'scopes']);
    expect(created.name).toBe('ci-bot');
    expect(created.scopes).toEqual(['images:read', 'images:write']);
    expect(created.client_id).toMatch(/^[A-Za-z0-9_-]{8,}$/);
    expect(created.client_secret.length).toBeGreaterThanOrEqual(32);

    const other = JSON.parse(
      (await cli('create', '--name', 'reader', '--scopes', 'images:read')).stdout,
    ) as Created;
    expect(other.client_id).not.toBe(created.client_id);
    expect(other.client_secret).not.toBe(created.client_secret);

    // Stored hashed only: the secret is nowhere in the table.
    const db = await connectDb({
      databaseUrl: database.env.DATABASE_URL,
      pgliteDir: database.env.PGLITE_DIR,
      maxConnections: 1,
    });
    try {
      const rows = await db.query<Record<string, unknown>>('select * from oauth_clients');
      expect(rows).toHaveLength(2);
      expect(JSON.stringify(rows)).not.toContain(created.client_secret);
      expect(JSON.stringify(rows)).not.toContain(other.client_secret);
    } finally {
      await db.close();
    }

    // The secret works at the real token endpoint (and a wrong one does not).
    let o = await startOrigin();
    const good = await fetchToken(o.api, created.client_id, created.client_secret);
    expect(good.status).toBe(200);
    const issued = (await good.json()) as { access_token: string; token_type: string; scope: string };
    expect(issued.token_type.toLowerCase()).toBe('bearer');
    expect(issued.scope.split(' ').sort()).toEqual(['images:read', 'images:write']);
    const list = await fetch(`${o.api}/images`, {
      headers: { authorization: `Bearer ${issued.access_token}` },
    });
    expect(list.status).toBe(200);
    expect((await fetchToken(o.api, created.client_id, `${created.client_secret}x`)).status).toBe(401);

    // revoke (while the origin runs, on real Postgres: no restart needed for it to take effect).
    await stopOriginIfPglite();
    const revoked = await cli('revoke', created.client_id);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout)).toEqual({ client_id: created.client_id, revoked: true });
    const again = await cli('revoke', created.client_id);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(created.client_id);
    const unknown = await cli('revoke', 'no-such-client');
    expect(unknown.code).toBe(1);

    // list: the revoked client has revoked_at, the other none; no secret is listed.
    const listed = await cli('list');
    expect(listed.code, listed.stderr).toBe(0);
    const clients = JSON.parse(listed.stdout) as Listed[];
    const mine = clients.find((c) => c.client_id === created.client_id);
    const theirs = clients.find((c) => c.client_id === other.client_id);
    expect(mine?.name).toBe('ci-bot');
    expect(mine?.revoked_at).not.toBeNull();
    expect(Number.isNaN(Date.parse(String(mine?.revoked_at)))).toBe(false);
    expect(theirs?.revoked_at).toBeNull();
    expect(theirs?.scopes).toEqual(['images:read']);
    expect(listed.stdout).not.toContain(created.client_secret);
    expect(listed.stdout).not.toMatch(/secret/i);

    // The token endpoint refuses the revoked client; the other one still works.
    if (!origin) o = await startOrigin();
    const refused = await fetchToken(o.api, created.client_id, created.client_secret);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_client');
    expect((await fetchToken(o.api, other.client_id, other.client_secret)).status).toBe(200);
  }, 180_000);

  it('bad usage exits 2 with the usage text, and never opens the database', async () => {
    const untouched = join(dirs.base, 'cli-never-created');
    const env = { PGLITE_DIR: untouched };
    const cases: string[][] = [
      [],
      ['frobnicate'],
      ['create'],
      ['create', '--name'],
      ['create', '--name', 'x', '--scopes', 'images:delete'],
      ['revoke'],
      ['list', '--bogus'],
    ];
    const runs = await Promise.all(cases.map((args) => runClientCli(args, env)));
    for (const [i, run] of runs.entries()) {
      const args = cases[i]!;
      expect(run.code, `client ${args.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain('usage:');
      expect(run.stderr).toMatch(/client create --name NAME/);
      expect(run.stdout).toBe('');
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
    expect(existsSync(untouched)).toBe(false);
    // --help is not an error: usage on stdout, exit 0.
    const help = await runClientCli(['--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage:');
    expect(existsSync(untouched)).toBe(false);
  }, 60_000);
});
