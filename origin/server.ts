/** Serve a runtime over HTTP and stop it gracefully. */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
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
  // Responses in progress, so that a shutdown can end their keep-alive connections: without that a
  // connection busy at SIGTERM stays open after its response (until keepAliveTimeout, or for as
  // long as the client keeps sending requests on it) and holds the shutdown up.
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  const http = server as Server;
  const endAfter = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('connection', 'close');
    else res.once('finish', () => setImmediate(() => http.closeIdleConnections()));
  };
  http.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    if (draining) endAfter(res);
  });
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
        draining = true;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        if ('closeIdleConnections' in server) server.closeIdleConnections();
        for (const res of inFlight) endAfter(res);
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
