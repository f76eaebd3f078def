import { hostname } from 'node:os';
import pino, { type Logger } from 'pino';

export type { Logger };

/** Paths pino must never print: credentials in headers, bodies and config. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'password',
  'secret',
  'client_secret',
  'clientSecret',
  'secretKey',
  'originAuthToken',
  'token',
  'access_token',
  '*.authorization',
  '*.password',
  '*.secret',
  '*.client_secret',
  '*.clientSecret',
  '*.secretKey',
  '*.originAuthToken',
  '*.access_token',
  '*.token',
];

export interface LoggerOptions {
  level: string;
  /** Where JSON lines go; defaults to stdout. Tests pass a stream to read them back. */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      // Every line names the replica it comes from.
      base: { service: 'imgedge-origin', replica: process.env.HOSTNAME ?? hostname() },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}
