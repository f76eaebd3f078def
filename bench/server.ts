/**
 * Child processes for HTTP cases: the origin (issue 3) or `wrangler dev` (issue 4). Started
 * directly (for wrangler: node_modules/.bin/wrangler, never through npx, whose parent would
 * leave workerd orphaned), ready when a URL answers, stopped by pid with SIGTERM then SIGKILL.
 * Their pids go to the case's `pids()` so their RSS is sampled with this process's.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { captureOutput, hasExited, spawnChild, terminate, waitForHealthy } from '../scripts/lib/process.js';

export interface ServerOptions {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  /** Variables of this process the child must not inherit (e.g. MALLOC_ARENA_MAX, DATABASE_URL). */
  unsetEnv?: readonly string[];
  cwd?: string;
  /** Polled until it answers with any HTTP status below 500. */
  readyUrl: string;
  readyTimeoutMs?: number;
}

export interface Server {
  pid: number;
  /**
   * The child and every process below it that is alive now (wrangler → node → workerd ×2,
   * esbuild), for the case's `pids()`. They are remembered and stopped with the child.
   */
  tree(): number[];
  /** Last lines of the child's stdout/stderr, for error messages. */
  output(): string;
  /** SIGTERM the child (SIGKILL after 5 s), then any remembered descendant still alive. */
  stop(): Promise<void>;
}

/** A process identity that survives pid reuse: pid plus its start time (field 22 of stat). */
interface Proc {
  pid: number;
  start: string;
}

function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state is field 3, ppid 4, starttime 22.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

const procOf = (pid: number): Proc | undefined => {
  const f = statFields(pid);
  return f?.[19] === undefined ? undefined : { pid, start: f[19] };
};

/** Still the same process (not exited, not a zombie, pid not reused). */
function alive(p: Proc): boolean {
  const f = statFields(p.pid);
  return f !== undefined && f[0] !== 'Z' && f[19] === p.start;
}

/** Every live descendant of `pid` (Linux /proc; empty elsewhere). */
export function descendants(pid: number): Proc[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  for (const e of entries) {
    const ppid = Number(statFields(Number(e))?.[1]);
    if (!Number.isFinite(ppid)) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(e));
    children.set(ppid, list);
  }
  const out: Proc[] = [];
  const queue = [...(children.get(pid) ?? [])];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const p = procOf(next);
    if (p) out.push(p);
    queue.push(...(children.get(next) ?? []));
  }
  return out;
}

function commandName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

function signal(p: Proc, sig: NodeJS.Signals): void {
  if (!alive(p)) return;
  try {
    process.kill(p.pid, sig);
  } catch {
    // gone meanwhile
  }
}

/** Children started here and not yet exited, with the descendants seen so far. */
const running = new Map<ChildProcess, Map<number, Proc>>();

/** Last resort on exit or interrupt: SIGKILL every child and every descendant known or found now. */
function killEverything(): void {
  for (const [child, known] of running) {
    const all = [...known.values(), ...(child.pid ? descendants(child.pid) : [])];
    child.kill('SIGKILL');
    for (const p of all) signal(p, 'SIGKILL');
  }
}
process.once('exit', killEverything);
// Ctrl-C or a SIGTERM to the benchmark must not orphan origins, wrangler or workerd.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killEverything();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

export { freePort } from '../scripts/lib/ports.js';

export async function startServer(opts: ServerOptions): Promise<Server> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  for (const name of opts.unsetEnv ?? []) delete env[name];
  const child = spawnChild(opts.command, opts.args ?? [], { cwd: opts.cwd, env });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start ${opts.command}`);
  const known = new Map<number, Proc>();
  running.set(child, known);
  const remember = () => {
    for (const p of descendants(pid)) known.set(p.pid, p);
  };
  const output = captureOutput(child);

  const server: Server = {
    pid,
    tree() {
      remember();
      return [pid, ...known.keys()];
    },
    output,
    async stop() {
      if (!hasExited(child)) {
        remember();
        await terminate(child, 5000);
      }
      // Descendants the child did not take down with it (e.g. workerd after a crashed wrangler).
      const left = [...known.values()].filter(alive);
      if (left.length > 0) {
        const names = left.map((p) => `${p.pid} ${commandName(p.pid)}`).join(', ');
        process.stderr.write(`  ${basename(opts.command)} exited, stopping what outlived it: ${names}\n`);
      }
      for (const p of left) signal(p, 'SIGTERM');
      const deadline = performance.now() + 3000;
      while (left.some(alive) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      for (const p of left) signal(p, 'SIGKILL');
      running.delete(child);
    },
  };

  try {
    await waitForHealthy(opts.readyUrl, child, {
      name: opts.command,
      timeoutMs: opts.readyTimeoutMs ?? 20_000,
      intervalMs: 100,
      requestTimeoutMs: 1000,
      healthy: (status) => status < 500,
    });
    return server;
  } catch (err) {
    await server.stop();
    throw new Error(`${err instanceof Error ? err.message : err}:\n${server.output()}`);
  }
}
