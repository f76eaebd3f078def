import { createMiddleware } from 'hono/factory';
import { requestIdFrom } from '../../../shared/http/request-id.js';
import type { Logger } from '../../observability/logger.js';
import type { OriginEnv } from '../env.js';

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
    const id = requestIdFrom(c.req.header(header));
    c.set('requestId', id);
    c.set('log', options.logger.child({ request_id: id }));
    await next();
    // Set after the handler: routes that return a Response of their own replace c.res.
    c.res.headers.set(header, id);
  });
}
