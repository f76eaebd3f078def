/**
 * The embedded database (PGLITE_DIR) has one writer, always, across real processes:
 * - two origins racing to open one folder: exactly one serves, the other exits at once with one
 *   stderr line naming PGLITE_DIR and the holder's pid;
 * - the client CLI, while an origin holds the folder, goes through that origin: the client it
 *   creates authenticates at once and is still there after a restart;
 * - a SIGKILLed holder's lock is taken over by the next start;
 * - an upload acknowledged 201 (and a delete) survive a restart even after a second origin tried
 *   to open the same folder.
 * Always PGlite (a temp folder), whatever backend the rest of the run uses.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { photoJpeg } from '../../support/images.js';
import {
  fetchToken,
  type OriginProcess,
  originEnv,
  REPO_ROOT,
  runClientCli,
  spawnOrigin,
  tempDirs,
} from '../../support/spawn-origin.js';

type Outcome =
  | { kind: 'listening'; child: ChildProcess; pid: number; url: string }
  | { kind: 'exited'; pid: number; code: number | null; stderr: string };

/** Starts origin/main.ts; settles when it listens or when it exits, whichever comes first. */
function startOrExit(env: Record<string, string>, started: ChildProcess[]): Promise<Outcome> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'origin/main.ts'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let stdout = '';
  let stderr = '';
  return new Promise((resolve) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const line = stdout.split('\n').find((l) => l.includes('"origin listening"'));
      if (line) resolve({ kind: 'listening', child, pid: child.pid!, url: JSON.parse(line).url });
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.once('close', (code) => resolve({ kind: 'exited', pid: child.pid!, code, stderr }));
  });
}

const exitOf = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((r) => child.once('close', () => r()));

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const done = exitOf(child);
  child.kill(signal);
  await done;
}

function expectHeldLine(stderr: string, dir: string, holderPid: number): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toContain('PGLITE_DIR');
  expect(lines[0]).toContain(dir);
  expect(lines[0]).toContain(`process ${holderPid}`);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('PGLITE_DIR has one writer', () => {
  let dirs: Awaited<ReturnType<typeof tempDirs>>;
  let pgliteDir: string;
  let env: Record<string, string>;
  const started: ChildProcess[] = [];
  const origins: OriginProcess[] = [];

  beforeAll(async () => {
    dirs = await tempDirs();
    pgliteDir = await mkdtemp(join(tmpdir(), 'imgedge-one-writer-'));
    env = { ...originEnv(dirs), PGLITE_DIR: pgliteDir };
  });
  afterAll(async () => {
    for (const child of started)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(started.map(exitOf));
    for (const o of origins) await o.kill();
    await rm(pgliteDir, { recursive: true, force: true });
    await dirs?.remove();
  });

  const cli = (...args: string[]) => runClientCli(args, { PGLITE_DIR: pgliteDir });
  const token = async (url: string, client: { client_id: string; client_secret: string }) => {
    const res = await fetchToken(`${url}/api/v1`, client.client_id, client.client_secret);
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  };

  it('two origins racing for one folder: exactly one serves, the other fails with one line naming PGLITE_DIR and the pid', async () => {
    const outcomes = await Promise.all([startOrExit(env, started), startOrExit(env, started)]);
    const winners = outcomes.filter((o) => o.kind === 'listening');
    const losers = outcomes.filter((o) => o.kind === 'exited');
    expect(winners, JSON.stringify(losers)).toHaveLength(1);
    expect(losers).toHaveLength(1);
    const [winner, loser] = [winners[0]!, losers[0]!] as const;
    // The loser gave up while the winner still serves (it did not wait for it).
    expect(winner.child.exitCode).toBeNull();
    expect(loser.code).not.toBe(0);
    expectHeldLine(loser.stderr, pgliteDir, winner.pid);
    expect((await fetch(`${winner.url}/health/live`)).status).toBe(200);
    await stop(winner.child);
    expect(winner.child.exitCode).toBe(0);
    // A clean stop releases the folder.
    await expect(readFile(join(pgliteDir, 'imgedge.lock'))).rejects.toThrow(/ENOENT/);
  }, 120_000);

  it('client CLI while an origin runs: goes through it; the client authenticates now and after a restart', async () => {
    let origin = await spawnOrigin(env);
    origins.push(origin);
    const made = await cli('create', '--name', 'while-running', '--scopes', 'images:read,images:write');
    expect(made.code, made.stderr).toBe(0);
    expect(made.stderr).toBe('');
    const created = JSON.parse(made.stdout) as { client_id: string; client_secret: string; scopes: string[] };
    expect(created.scopes).toEqual(['images:read', 'images:write']);
    await token(origin.url, created);

    // Without --scopes: it says on stderr what it grants, and grants exactly that.
    const reader = await cli('create', '--name', 'reader');
    expect(reader.code, reader.stderr).toBe(0);
    expect(reader.stderr).toMatch(/--scopes/);
    expect(reader.stderr).toContain('images:read');
    const readerClient = JSON.parse(reader.stdout) as { client_id: string; scopes: string[] };
    expect(readerClient.scopes).toEqual(['images:read']);

    const revoked = await cli('revoke', readerClient.client_id);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await cli('revoke', readerClient.client_id)).code).toBe(1);
    const listed = JSON.parse((await cli('list')).stdout) as {
      client_id: string;
      revoked_at: string | null;
    }[];
    expect(listed.find((c) => c.client_id === created.client_id)?.revoked_at).toBeNull();
    expect(listed.find((c) => c.client_id === readerClient.client_id)?.revoked_at).not.toBeNull();

    origin.child.kill('SIGTERM');
    expect((await origin.exited).code).toBe(0);
    origin = await spawnOrigin(env);
    origins.push(origin);
    await token(origin.url, created);
    const refused = await fetchToken(
      origin.api,
      readerClient.client_id,
      JSON.parse(reader.stdout).client_secret,
    );
    expect(refused.status).toBe(401);
    origin.child.kill('SIGTERM');
    expect((await origin.exited).code).toBe(0);
  }, 180_000);

  it('SIGKILL the holder, start again: the stale lock is taken over by the new origin', async () => {
    const first = await spawnOrigin(env);
    origins.push(first);
    first.child.kill('SIGKILL');
    await first.exited;
    const stale = JSON.parse(await readFile(join(pgliteDir, 'imgedge.lock'), 'utf8')) as { pid: number };
    expect(stale.pid).toBe(first.pid);

    const second = await spawnOrigin(env);
    origins.push(second);
    const lock = JSON.parse(await readFile(join(pgliteDir, 'imgedge.lock'), 'utf8')) as {
      pid: number;
      admin_url: string;
    };
    expect(lock.pid).toBe(second.pid);
    expect(lock.admin_url).toBe(second.url);
    // And it really holds it: a third opener is refused, naming the new holder.
    const third = await startOrExit(env, started);
    expect(third.kind).toBe('exited');
    if (third.kind === 'exited') expectHeldLine(third.stderr, pgliteDir, second.pid);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  }, 180_000);

  it('a 201 upload and a delete survive a restart, even after a second origin tried the same folder', async () => {
    const made = await cli('create', '--name', 'uploader', '--scopes', 'images:read,images:write');
    expect(made.code, made.stderr).toBe(0);
    const client = JSON.parse(made.stdout) as { client_id: string; client_secret: string };
    const first = await spawnOrigin(env);
    origins.push(first);
    const auth = { authorization: `Bearer ${await token(first.url, client)}` };
    const upload = async (seed: number) => {
      const res = await fetch(`${first.api}/images`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'image/jpeg' },
        body: await photoJpeg(80, 60, seed),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: string }).id;
    };
    const doomed = await upload(7001);

    // A second origin on the same folder (other port): refused, naming the first one.
    const second = await startOrExit(env, started);
    if (second.kind === 'listening') {
      // (Before the fix.) Let it run alongside like a forgotten second `npm start`.
      await fetch(`${second.url}/health`);
    }
    const kept = await upload(7002);
    expect((await fetch(`${first.api}/images/${doomed}`, { method: 'DELETE', headers: auth })).status).toBe(
      204,
    );

    await stop(first.child);
    if (second.kind === 'listening') await stop(second.child);
    expect(second.kind).toBe('exited');
    if (second.kind === 'exited') expectHeldLine(second.stderr, pgliteDir, first.pid);

    const again = await spawnOrigin(env);
    origins.push(again);
    const auth2 = { authorization: `Bearer ${await token(again.url, client)}` };
    expect((await fetch(`${again.api}/images/${kept}`, { headers: auth2 })).status).toBe(200);
    expect((await fetch(`${again.api}/images/${doomed}`, { headers: auth2 })).status).toBe(404);
    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
  }, 180_000);
});
