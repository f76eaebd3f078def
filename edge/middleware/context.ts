import { createMiddleware } from 'hono/factory';
import { problemResponse } from '../../shared/errors.js';
import { requestIdFrom } from '../../shared/http/request-id.js';
import { EdgeConfigError, edgeConfig } from '../config.js';
import type { EdgeEnv } from '../env.js';
import { log } from '../log.js';

/** Config errors already logged: edgeConfig memoizes the error, so this is once per isolate. */
const reported = new WeakSet<EdgeConfigError>();

/**
 * First middleware: request id (from cf-ray, else fresh), validated config, and one JSON log line
 * per request (id, method, route, status, cache, ms) when the response is done. With an invalid
 * config every request is a 500 and the problem is logged once, by the first request that meets it.
 */
export function requestContext() {
  return createMiddleware<EdgeEnv>(async (c, next) => {
    const started = Date.now();
    const id = requestIdFrom(c.req.header('cf-ray'));
    c.set('requestId', id);
    try {
      c.set('config', edgeConfig(c.env));
    } catch (err) {
      if (!(err instanceof EdgeConfigError)) throw err;
      if (!reported.has(err)) {
        reported.add(err);
        log(c, 'error', { msg: err.message });
      }
      c.res = problemResponse(undefined, c.req.path, { 'x-request-id': id });
      return;
    }
    await next();
    c.res.headers.set('x-request-id', id);
    c.res.headers.set('x-content-type-options', 'nosniff');
    log(c, c.res.status >= 500 ? 'error' : 'info', {
      method: c.req.method,
      route: c.req.routePath,
      path: c.req.path,
      status: c.res.status,
      cache: c.get('cacheStatus'),
      ms: Date.now() - started,
    });
  });
}
