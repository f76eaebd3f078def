import type { ErrorHandler, NotFoundHandler } from 'hono';
import { ImgedgeError, isImgedgeError, problemResponse } from '../../shared/errors.js';
import type { OriginEnv } from './env.js';

/** Every error leaves as problem+json; unexpected ones are logged with their stack, never sent. */
export const onError: ErrorHandler<OriginEnv> = (err, c) => {
  const log = c.get('log');
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
