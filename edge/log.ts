/**
 * The worker's log: one JSON object per line, always with the request's id, so every line of a
 * request (access line, warnings, errors) can be found by the `X-Request-Id` its client saw.
 * Workers Logs indexes these fields.
 */
import type { Context } from 'hono';
import type { EdgeEnv } from './env.js';

export type LogLevel = 'info' | 'warn' | 'error';

/** `msg` says what happened; the other fields are the details (route, image, error…). */
export interface LogFields {
  msg?: string;
  [field: string]: unknown;
}

const WRITE = { info: 'log', warn: 'warn', error: 'error' } as const;

/** One line for the request `c` (its id comes from the context middleware). */
export function log(c: Context<EdgeEnv>, level: LogLevel, fields: LogFields): void {
  logRequest(c.get('requestId'), level, fields);
}

/** One line for the request with this id, where no Hono context is at hand. */
export function logRequest(id: string, level: LogLevel, fields: LogFields): void {
  console[WRITE[level]](JSON.stringify({ level, id, ...fields }));
}
