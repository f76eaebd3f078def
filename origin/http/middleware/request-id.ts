import { randomUUID } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import type { Logger } from '../../observability/logger.js';
import type { OriginEnv } from '../env.js';

const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface RequestIdOptions {
  logger: Logger;
  header?: string;
}

/**
 * Takes the request id from `X-Request-Id` (set by the edge) or makes one, echoes it in the
 * response, and gives the request a child logger that carries it.
 */
export function requestId(options: RequestIdOptions) {
  const header = options.header ?? 'x-request-id';
  return createMiddleware<OriginEnv>(async (c, next) => {
    const incoming = c.req.header(header);
    const id = incoming && VALID_ID.test(incoming) ? incoming : randomUUID();
    c.set('requestId', id);
    c.set('log', options.logger.child({ request_id: id }));
    await next();
    // Set after the handler: routes that return a Response of their own replace c.res.
    c.res.headers.set(header, id);
  });
}
