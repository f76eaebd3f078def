/**
 * A throwaway redis-server on its own loopback port (no persistence), for tests that stop and
 * restart Redis. The shared server at TEST_REDIS_URL is never touched. `stop()` and `start()` can
 * alternate; the port stays the same so clients reconnect to it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from '../../scripts/lib/ports.js';
import { redisAnswers } from './services.js';

export interface ThrowawayRedis {
  url: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Poll `check` until it holds (test helper only), failing with `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function startThrowawayRedis(): Promise<ThrowawayRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const handle: ThrowawayRedis = {
    url,
    port,
    async start() {
      if (child) return;
      const proc = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      child = proc;
      proc.once('exit', () => {
        if (child === proc) child = undefined;
      });
      await until(() => redisAnswers(url), `redis-server on port ${port}`);
    },
    async stop() {
      const proc = child;
      if (!proc) return;
      child = undefined;
      const exited = once(proc, 'exit');
      proc.kill('SIGTERM');
      await exited;
    },
  };
  await handle.start();
  return handle;
}
