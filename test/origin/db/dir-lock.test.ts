/**
 * The PGLITE_DIR lock (origin/db/dir-lock.ts) and its use by openPglite: a second opener fails at
 * once naming the folder and the pid; close() releases; a dead holder's lock is taken over, by
 * exactly one of many concurrent takers; a lock of another host counts as held.
 * (The cross-process cases run real origins: test/origin/ops/pglite-one-writer.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireDirLock, DirLockedError, LOCK_FILE, liveHolder } from '../../../origin/db/dir-lock.js';
import { openPglite } from '../../../origin/db/pglite.js';

/** The pid of a process that has exited. */
function deadPid(): number {
  const run = spawnSync(process.execPath, ['-e', '']);
  return run.pid!;
}

describe('PGLITE_DIR lock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imgedge-dir-lock-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('a second opener fails at once naming PGLITE_DIR and the pid; release() frees the folder', async () => {
    const lock = await acquireDirLock(dir);
    const err = await acquireDirLock(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DirLockedError);
    expect((err as Error).message).toContain(`PGLITE_DIR ${dir}`);
    expect((err as Error).message).toContain(`process ${process.pid}`);
    expect((err as Error).message).not.toContain('\n');
    expect((await liveHolder(dir))?.pid).toBe(process.pid);
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
    expect(await liveHolder(dir)).toBeUndefined();
    await (await acquireDirLock(dir)).release();
  });

  it('openPglite holds the folder until close()', async () => {
    const db = await openPglite({ dataDir: dir });
    try {
      await expect(openPglite({ dataDir: dir })).rejects.toBeInstanceOf(DirLockedError);
    } finally {
      await db.close();
    }
    const again = await openPglite({ dataDir: dir });
    expect(await again.query<{ x: number }>('select 1 as x')).toEqual([{ x: 1 }]);
    await again.close();
  }, 120_000);

  it('a dead holder: exactly one of many concurrent takers wins; the others name the winner', async () => {
    const stale = {
      pid: deadPid(),
      hostname: (await import('node:os')).hostname(),
      started_at: 'x',
      nonce: 'dead',
    };
    await writeFile(join(dir, LOCK_FILE), JSON.stringify(stale));
    expect(await liveHolder(dir)).toBeUndefined();
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => acquireDirLock(dir)));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DirLockedError);
    }
    const lock = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireDirLock>>>).value;
    const onDisk = JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')) as { nonce: string };
    expect(onDisk.nonce).toBe(lock.holder.nonce);
    await lock.release();
    // No temp or claim file is left behind.
    expect(await readdir(dir)).toEqual([]);
  });

  it('a lock written on another host counts as held', async () => {
    const foreign = { pid: deadPid(), hostname: 'some-other-host', started_at: 'x', nonce: 'far' };
    await writeFile(join(dir, LOCK_FILE), JSON.stringify(foreign));
    const err = await acquireDirLock(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DirLockedError);
    expect((err as Error).message).toContain('some-other-host');
  });
});
