/** The origin process: validate config, start, and stop gracefully on SIGTERM/SIGINT. */
import { ConfigError, loadConfig } from './config/load.js';
import { createLogger } from './observability/logger.js';
import { StartupError } from './runtime.js';
import { startServer } from './server.js';
import { restrictDecoders } from './transform/decoders.js';

/** Listen errors an operator fixes with one variable. */
const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'API_PORT',
  EACCES: 'API_PORT',
  EADDRNOTAVAIL: 'API_HOST',
  ENOTFOUND: 'API_HOST',
  EAI_AGAIN: 'API_HOST',
};

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`imgedge origin: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel });
  // Only the accepted formats' decoders, process-wide (SVG, PDF and the like are refused).
  restrictDecoders();
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config, logger);
  } catch (err) {
    // One line on stderr naming what to fix (no stack); the details go to the JSON log.
    const code = (err as NodeJS.ErrnoException).code;
    let line: string;
    if (code === 'EADDRINUSE') {
      line = `port ${config.port} on ${config.host} is already in use (API_PORT)`;
    } else if (code !== undefined && LISTEN_ERRORS[code]) {
      line = `cannot listen on ${config.host}:${config.port}: ${(err as Error).message} (${LISTEN_ERRORS[code]})`;
    } else if (err instanceof StartupError) {
      line = `${err.message} (${err.variable})`;
    } else {
      line = `failed to start: ${err instanceof Error ? err.message : String(err)}`;
    }
    logger.fatal({ err: err instanceof StartupError ? err.cause : err }, 'origin failed to start');
    process.stderr.write(`imgedge origin: ${line.replaceAll('\n', ' ')}\n`);
    process.exit(1);
  }
  try {
    await server.runtime.advertise(server.url);
  } catch (err) {
    // The client CLI then refuses to touch the folder (it is held) instead of going through us.
    logger.error({ err }, 'cannot record the admin URL in the PGLITE_DIR lock; client CLI unavailable');
  }
  logger.info({ url: server.url, prefix: config.apiPrefix }, 'origin listening');
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    server.shutdown().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

void main();
