/** The origin process: validate config, start, and stop gracefully on SIGTERM/SIGINT. */
import { ConfigError, loadConfig } from './config/load.js';
import { createLogger } from './observability/logger.js';
import { startServer } from './server.js';

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
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config, logger);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      process.stderr.write(
        `imgedge origin: port ${config.port} on ${config.host} is already in use (API_PORT)\n`,
      );
    } else {
      logger.fatal({ err }, 'origin failed to start');
    }
    process.exit(1);
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
