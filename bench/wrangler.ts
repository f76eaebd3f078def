/**
 * The edge worker under `wrangler dev` (workerd), in front of an origin from origin-process.ts,
 * wired like scripts/stack.ts does it: node_modules/.bin/wrangler (never npx) with an env file
 * of worker variables, state persisted to a temp dir, metrics and the cf.json fetch off. Stopped
 * by its own pid with SIGTERM; server.ts then ends any workerd/esbuild it left behind.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureConsoleBuilt } from '../scripts/lib/console-build.js';
import { ORIGIN_AUTH_TOKEN, type Origin, ROOT, SECRET_KEY, tempDir } from './origin-process.js';
import { freePort, type Server, startServer } from './server.js';

export interface Edge {
  url: string;
  server: Server;
  /** wrangler and everything under it (node, workerd ×2, esbuild), for a case's `pids()`. */
  pids(): number[];
  stop(): Promise<void>;
}

/** Worker variables for the bench: unsigned URLs, a limiter that never refuses. */
export function edgeVars(origin: Origin): Record<string, string> {
  return {
    ENVIRONMENT: 'development',
    ORIGIN_URL: origin.url,
    ORIGIN_AUTH_TOKEN,
    JWT_SECRET: SECRET_KEY,
    SIGNED_URLS: 'off',
    IMAGE_RATE_LIMIT: '1000000/60s',
  };
}

export async function startEdge(origin: Origin): Promise<Edge> {
  await ensureConsoleBuilt();
  const dir = await tempDir('edge-');
  const envFile = join(dir, 'edge.env');
  // Single quotes: dotenv takes the value literally (as scripts/stack.ts writes it).
  const lines = Object.entries(edgeVars(origin)).map(([k, v]) => `${k}='${v}'`);
  await writeFile(envFile, `${lines.join('\n')}\n`, { mode: 0o600 });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await startServer({
    command: join(ROOT, 'node_modules/.bin/wrangler'),
    args: [
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--env-file',
      envFile,
      '--persist-to',
      join(dir, 'state'),
      '--show-interactive-dev-session=false',
      '--log-level',
      'error',
    ],
    cwd: ROOT,
    env: { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    readyUrl: `${url}/health`,
    readyTimeoutMs: 90_000,
  });
  return { url, server, pids: () => server.tree(), stop: () => server.stop() };
}
