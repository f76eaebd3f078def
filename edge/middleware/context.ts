import { createMiddleware } from 'hono/factory';
import { problemResponse } from '../../shared/errors.js';
import { EdgeConfigError, edgeConfig } from '../config.js';
import type { EdgeEnv } from '../env.js';

const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;

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
    const ray = c.req.header('cf-ray');
    const id = ray && VALID_ID.test(ray) ? ray : crypto.randomUUID();
    c.set('requestId', id);
    try {
      c.set('config', edgeConfig(c.env));
    } catch (err) {
      if (!(err instanceof EdgeConfigError)) throw err;
      if (!reported.has(err)) {
        reported.add(err);
        console.error(JSON.stringify({ level: 'error', id, msg: err.message }));
      }
      c.res = problemResponse(undefined, c.req.path, { 'x-request-id': id });
      return;
    }
    await next();
    c.res.headers.set('x-request-id', id);
    c.res.headers.set('x-content-type-options', 'nosniff');
    console.log(
      JSON.stringify({
        level: c.res.status >= 500 ? 'error' : 'info',
        id,
        method: c.req.method,
        route: c.req.routePath,
        path: c.req.path,
        status: c.res.status,
        cache: c.get('cacheStatus'),
        ms: Date.now() - started,
      }),
    );
  });
}
