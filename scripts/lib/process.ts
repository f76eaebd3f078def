/**
 * Child-process supervision shared by `npm start` (scripts/stack.ts), the tests
 * (test/support/spawn-origin.ts) and the benchmark (bench/server.ts, bench/origin-process.ts):
 * start a child with its output captured, wait until it answers on a URL (or fail as soon as it
 * exits, or at a deadline), stop it with SIGTERM then SIGKILL after a grace period. Every child
 * started here is SIGKILLed if this process exits while it still runs.
 */
import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';

export interface SpawnOptions {
  cwd?: string;
  /** The child's whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Default: stdout and stderr piped (read them, or `captureOutput`), stdin ignored. */
  stdio?: 'pipe' | ['ignore', 'pipe' | 'ignore' | 'inherit', 'pipe' | 'ignore' | 'inherit'];
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  // Safety net: never leave a child running after this process, whatever happened.
  for (const child of live) child.kill('SIGKILL');
});

/** Starts `command` (tracked until it exits; see the module comment). */
export function spawnChild(
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): ChildProcess {
  const stdio: StdioOptions =
    options.stdio === 'pipe' || options.stdio === undefined ? ['ignore', 'pipe', 'pipe'] : options.stdio;
  const child: ChildProcess = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio,
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

/** Has the child exited (or been killed by a signal)? */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** The last `lines` lines of a child's stdout and stderr, for error messages. */
export function captureOutput(child: ChildProcess, lines = 40): () => string {
  const tail: string[] = [];
  const keep = (chunk: Buffer | string) => {
    tail.push(...chunk.toString().split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - lines));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => tail.join('\n');
}

/** A child that exited, or did not become healthy, in time. */
export class StartupError extends Error {}

export interface WaitOptions {
  /** Shown in errors (default: the URL). */
  name?: string;
  timeoutMs: number;
  /** Pause between polls. Default 250 ms. */
  intervalMs?: number;
  /** Deadline of one poll. Default 2 s. */
  requestTimeoutMs?: number;
  /** Which status means healthy. Default: 2xx. */
  healthy?: (status: number) => boolean;
}

/**
 * Polls `url` until it answers healthy. Throws StartupError as soon as `child` exits, or when
 * `timeoutMs` passes first.
 */
export async function waitForHealthy(url: string, child: ChildProcess, options: WaitOptions): Promise<void> {
  const name = options.name ?? url;
  const healthy = options.healthy ?? ((status: number) => status >= 200 && status < 300);
  const deadline = performance.now() + options.timeoutMs;
  while (performance.now() < deadline) {
    if (hasExited(child)) {
      throw new StartupError(
        `${name} exited with ${child.signalCode ? `signal ${child.signalCode}` : `code ${child.exitCode}`} during start-up`,
      );
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(options.requestTimeoutMs ?? 2000) });
      await res.body?.cancel();
      if (healthy(res.status)) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
  }
  throw new StartupError(`${name} did not become healthy at ${url} within ${options.timeoutMs / 1000} s`);
}

/**
 * Stops `child`: SIGTERM, then SIGKILL if it is still running after `graceMs` (0: SIGKILL at
 * once). Resolves when it has exited.
 */
export async function terminate(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (hasExited(child)) return;
  await new Promise<void>((done) => {
    const timer = graceMs > 0 ? setTimeout(() => child.kill('SIGKILL'), graceMs) : undefined;
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
  });
}
