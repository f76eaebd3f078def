/**
 * Child processes for HTTP cases: the origin (issue 3) or `wrangler dev` (issue 4). Started
 * directly (for wrangler: node_modules/.bin/wrangler, never through npx, whose parent would
 * leave workerd orphaned), ready when a URL answers, stopped by pid with SIGTERM then SIGKILL.
 * Their pids go to the case's `pids()` so their RSS is sampled with this process's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

export interface ServerOptions {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Polled until it answers with any HTTP status below 500. */
  readyUrl: string;
  readyTimeoutMs?: number;
}

export interface Server {
  pid: number;
  /** Last lines of the child's stdout/stderr, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A free TCP port on 127.0.0.1 (free now; the caller binds it soon after). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const address = srv.address();
  srv.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export async function startServer(opts: ServerOptions): Promise<Server> {
  const child = spawn(opts.command, opts.args ?? [], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`cannot start ${opts.command}`);
  running.add(child);
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(...chunk.toString().split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - 40));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  child.once('exit', () => {
    exited = true;
    running.delete(child);
  });

  const server: Server = {
    pid: child.pid,
    output: () => tail.join('\n'),
    async stop() {
      if (exited) return;
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };

  const deadline = performance.now() + (opts.readyTimeoutMs ?? 20_000);
  while (performance.now() < deadline) {
    if (exited) throw new Error(`${opts.command} exited before ready:\n${server.output()}`);
    try {
      const res = await fetch(opts.readyUrl, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status < 500) return server;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await server.stop();
  throw new Error(`${opts.command} not ready at ${opts.readyUrl}:\n${server.output()}`);
}
