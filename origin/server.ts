/** Serve a runtime over HTTP and stop it gracefully. */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Config } from './config/load.js';
import type { Logger } from './observability/logger.js';
import { createRuntime, type Runtime, type RuntimeOptions } from './runtime.js';

export interface RunningServer {
  url: string;
  port: number;
  runtime: Runtime;
  /** Stop accepting, let in-flight requests finish (bounded), then close the database. */
  shutdown(): Promise<void>;
}

export async function startServer(
  config: Config,
  logger: Logger,
  options: RuntimeOptions = {},
): Promise<RunningServer> {
  const runtime = await createRuntime(config, logger, options);
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: runtime.app.fetch, hostname: config.host, port: config.port }, () => resolve(s));
    s.once('error', (err) => {
      runtime.close().finally(() => reject(err));
    });
  });
  // Requests are bounded by the transform timeout; keep idle sockets from pinning shutdown.
  if ('keepAliveTimeout' in server) server.keepAliveTimeout = 5000;
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    runtime,
    shutdown() {
      stopping ??= (async () => {
        runtime.beginShutdown();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        if ('closeIdleConnections' in server) server.closeIdleConnections();
        const timer = new Promise<'timeout'>((resolve) =>
          setTimeout(() => resolve('timeout'), config.shutdownTimeoutMs).unref(),
        );
        if ((await Promise.race([closed, timer])) === 'timeout') {
          logger.warn({ timeout_ms: config.shutdownTimeoutMs }, 'shutdown timeout: closing open connections');
          if ('closeAllConnections' in server) server.closeAllConnections();
        }
        await runtime.close();
      })();
      return stopping;
    },
  };
}
