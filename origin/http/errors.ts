import type { ErrorHandler, NotFoundHandler } from 'hono';
import { ImgedgeError, isImgedgeError, problemResponse } from '../../shared/errors.js';
import type { OriginEnv } from './env.js';

/**
 * Errors that mean a backing service (Postgres, Redis) cannot be reached right now: connection
 * refused/reset/timed out (Node and postgres.js codes) and the SQLSTATEs of a server that is
 * going away or full. They are answered 503 + Retry-After (transient), not 500 (a bug).
 */
const UNAVAILABLE_CODES = new Set([
  // (Not ECONNRESET: that is also what a client aborting its own upload raises.)
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

export function isBackendUnavailable(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (typeof code !== 'string') return false;
  // SQLSTATE class 08: connection exception.
  return UNAVAILABLE_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code);
}

/** Every error leaves as problem+json; unexpected ones are logged with their stack, never sent. */
export const onError: ErrorHandler<OriginEnv> = (err, c) => {
  const log = c.get('log');
  if (!isImgedgeError(err) && isBackendUnavailable(err)) {
    log?.error({ err }, 'backing service unavailable');
    return problemResponse(
      new ImgedgeError('unavailable', 'A backing service is unavailable; retry later', {
        headers: { 'retry-after': '5' },
      }),
      c.req.path,
      requestIdHeader(c.get('requestId')),
    );
  }
  if (isImgedgeError(err)) {
    if (err.status >= 500) log?.error({ err, code: err.code }, err.message);
    else log?.debug({ code: err.code }, err.message);
  } else {
    log?.error({ err }, 'unhandled error');
  }
  return problemResponse(err, c.req.path, requestIdHeader(c.get('requestId')));
};

export const notFound: NotFoundHandler<OriginEnv> = (c) =>
  problemResponse(
    new ImgedgeError('not_found', `No route for ${c.req.method} ${c.req.path}`),
    c.req.path,
    requestIdHeader(c.get('requestId')),
  );

function requestIdHeader(id: string | undefined): Record<string, string> {
  return id ? { 'x-request-id': id } : {};
}
