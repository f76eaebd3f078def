/**
 * globalSetup of the `workers` vitest project (runs in Node, once, before any test file). It
 * starts test/support/edge-servers.ts — the real origins, the Upstash bridge and the stub server —
 * in a child Node process, waits for its `EDGE_SERVERS <json>` line and hands every value to the
 * tests and to the worker's bindings (vitest.config.ts) with `project.provide`. Teardown stops
 * that process (SIGTERM, then SIGKILL after 15 s).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ProvidedContext } from 'vitest';
import type { TestProject } from 'vitest/node';
import './edge-context.js';

const SCRIPT = fileURLToPath(new URL('./edge-servers.ts', import.meta.url));
const START_TIMEOUT_MS = 90_000;

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: process.env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let info: Record<string, unknown>;
  try {
    info = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`edge-servers did not start within ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      );
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        if (!line.startsWith('EDGE_SERVERS ')) return void process.stdout.write(`${line}\n`);
        clearTimeout(timer);
        resolve(JSON.parse(line.slice('EDGE_SERVERS '.length)) as Record<string, unknown>);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`edge-servers exited during start-up (code ${code}, signal ${signal})`));
      });
      child.once('error', reject);
    });
  } catch (err) {
    await stop(child);
    throw err;
  }
  for (const [key, value] of Object.entries(info)) {
    project.provide(key as keyof ProvidedContext, value as never);
  }
  return () => stop(child);
}
