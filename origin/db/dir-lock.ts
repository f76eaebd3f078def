/**
 * One writer per PGlite data directory. PGlite is Postgres inside this process: a second process
 * opening the same folder writes the same files without any coordination, and whatever it wrote
 * (or the first one wrote) is lost at the next start. So whoever opens a folder holds
 * `<dir>/imgedge.lock` until it closes it or exits.
 *
 * Why not proper-lockfile: it tells a dead holder from a live one by the lock's mtime, so a killed
 * holder blocks the next start for its whole `stale` period (≥ 2 s, 10 s by default) and a holder
 * whose event loop stalls longer loses its lock. A holder here is checked directly instead:
 *
 * - The lock is a JSON record {pid, hostname, started_at, boot_id, proc_start, nonce}, written to a
 *   temp file and published with link(2), which fails with EEXIST when a lock exists: a reader
 *   never sees a half-written lock. Mode 0600: it can also carry the holder's admin URL and token
 *   (`advertise`, for the client CLI).
 * - The holder is alive when, on this host, `process.kill(pid, 0)` finds the process and (Linux)
 *   its start time in /proc is the recorded one, since the boot recorded (a reused pid is not the
 *   holder). A lock of another host cannot be checked: it counts as held.
 * - A dead holder's lock is taken over at once and atomically: the taker first claims that exact
 *   lock (`imgedge.lock.takeover-<sha256 of its content>`, created with O_EXCL, so one taker per
 *   stale lock wins), checks that the lock still is that content, and renames its own record over
 *   it. Losers re-read and find the winner alive.
 * - Released by `release()` (the database's close(), so SIGTERM/SIGINT shutdowns too) and, as a
 *   last resort, synchronously on process 'exit'. SIGKILL leaves it behind: the next start finds
 *   the holder dead and takes over.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, open, readFile, rename, rm, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE = 'imgedge.lock';

export interface LockHolder {
  pid: number;
  hostname: string;
  started_at: string;
  boot_id?: string;
  proc_start?: string;
  nonce: string;
  /** Set by a serving origin (`advertise`): where the client CLI reaches it, and with what token. */
  admin_url?: string;
  admin_token?: string;
}

/** The folder is held by another live process (or one on another host). One line, names both. */
export class DirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LockHolder,
  ) {
    const where = holder.hostname === hostname() ? '' : ` on host ${holder.hostname}`;
    const self = holder.pid === process.pid && where === '' ? ' (this process)' : '';
    super(
      `PGLITE_DIR ${dir} is in use by process ${holder.pid}${where}${self}, running since ` +
        `${holder.started_at}: one process at a time may open it (stop that one, or use another PGLITE_DIR)`,
    );
    this.name = 'DirLockedError';
  }
}

export interface DirLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Records where this process serves the admin API (see origin/http/routes/clients-admin.ts). */
  advertise(info: { url: string; token: string }): Promise<void>;
  release(): Promise<void>;
}

const held = new Map<string, LockHolder>();
/** Nonces of this process's acquisitions in progress (their takeover claims are alive). */
const acquiring = new Set<string>();

function readProcStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); the command name (field 2) may hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function readBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

function ownRecord(): LockHolder {
  const procStart = readProcStart(process.pid);
  const bootId = readBootId();
  return {
    pid: process.pid,
    hostname: hostname(),
    started_at: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    ...(bootId === undefined ? {} : { boot_id: bootId }),
    ...(procStart === undefined ? {} : { proc_start: procStart }),
    nonce: randomBytes(12).toString('hex'),
  };
}

/** True unless the holder is known to be gone. */
export function isHolderAlive(holder: LockHolder): boolean {
  if (holder.hostname !== hostname()) return true;
  if (holder.pid === process.pid) {
    // This very process holds it, or an earlier process had our pid (a restarted container).
    return acquiring.has(holder.nonce) || [...held.values()].some((h) => h.nonce === holder.nonce);
  }
  const bootId = readBootId();
  if (holder.boot_id && bootId && holder.boot_id !== bootId) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const procStart = holder.proc_start ? readProcStart(holder.pid) : undefined;
  return procStart === undefined || procStart === holder.proc_start;
}

interface LockContent {
  raw: string;
  holder: LockHolder | undefined;
}

async function readLock(path: string): Promise<LockContent | undefined> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const holder = JSON.parse(raw) as LockHolder;
    return { raw, holder: Number.isInteger(holder.pid) ? holder : undefined };
  } catch {
    return { raw, holder: undefined }; // not ours, or damaged: nobody can hold it
  }
}

async function writeDurably(path: string, content: string): Promise<void> {
  const file = await open(path, 'wx', 0o600);
  try {
    await file.writeFile(content);
    await file.sync();
  } finally {
    await file.close();
  }
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

/** Takes `<dir>/imgedge.lock` or throws DirLockedError at once. `dir` must exist. */
export async function acquireDirLock(dir: string): Promise<DirLock> {
  const path = join(dir, LOCK_FILE);
  const mine = ownRecord();
  const tmp = `${path}.${mine.nonce}.tmp`;
  acquiring.add(mine.nonce);
  try {
    await writeDurably(tmp, JSON.stringify(mine));
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        await link(tmp, path);
        return hold(path, mine);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const current = await readLock(path);
      if (!current) continue; // released meanwhile
      if (current.holder && isHolderAlive(current.holder)) throw new DirLockedError(dir, current.holder);
      // A dead holder's lock: claim this exact lock, then replace it if it still is the same.
      const claim = `${path}.takeover-${sha(current.raw)}`;
      try {
        await writeDurably(claim, JSON.stringify(mine));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const claimer = await readLock(claim);
        if (claimer?.holder && !isHolderAlive(claimer.holder)) {
          // The taker died between its claim and its rename (a double crash within microseconds).
          throw new Error(
            `PGLITE_DIR ${dir}: a takeover of a stale lock was interrupted; remove ${claim} and start again`,
          );
        }
        await new Promise((r) => setTimeout(r, 10)); // another starter is taking over: look again
        continue;
      }
      try {
        if ((await readLock(path))?.raw === current.raw) {
          await rename(tmp, path);
          return hold(path, mine);
        }
      } finally {
        await unlink(claim).catch(() => {});
      }
    }
    throw new Error(`PGLITE_DIR ${dir}: could not take ${path}`);
  } finally {
    acquiring.delete(mine.nonce);
    await rm(tmp, { force: true });
  }
}

function hold(path: string, record: LockHolder): DirLock {
  let current = record;
  held.set(path, current);
  const onExit = () => {
    // Synchronous last resort (an exit without close()): remove the lock if it still is ours.
    try {
      if ((JSON.parse(readFileSync(path, 'utf8')) as LockHolder).nonce === current.nonce) unlinkSync(path);
    } catch {
      // gone already
    }
  };
  process.once('exit', onExit);
  let released = false;
  return {
    path,
    get holder() {
      return current;
    },
    async advertise(info) {
      if (released) throw new Error(`${path} was released`);
      const next: LockHolder = { ...current, admin_url: info.url, admin_token: info.token };
      const tmp = `${path}.${next.nonce}.${randomBytes(4).toString('hex')}.tmp`;
      await writeDurably(tmp, JSON.stringify(next));
      await rename(tmp, path); // same nonce: still our lock, now with the URL
      current = next;
      held.set(path, current);
    },
    async release() {
      if (released) return;
      released = true;
      process.removeListener('exit', onExit);
      held.delete(path);
      const content = await readLock(path);
      if (content?.holder?.nonce === current.nonce) await unlink(path).catch(() => {});
    },
  };
}

/**
 * The live holder of `dir`'s lock, or undefined when nobody holds it (no lock, or a dead
 * holder's). For the client CLI: a live origin advertises `admin_url` and `admin_token`.
 */
export async function liveHolder(dir: string): Promise<LockHolder | undefined> {
  const content = await readLock(join(dir, LOCK_FILE));
  if (!content?.holder) return undefined;
  return isHolderAlive(content.holder) ? content.holder : undefined;
}
