/**
 * 405 Method Not Allowed with `Allow` (RFC 9110 §15.5.6), which Hono does not do by itself: a
 * known path asked with a method it does not serve would otherwise be a 404. Used by both tiers.
 */
import type { Hono, MiddlewareHandler } from 'hono';
import { ImgedgeError } from '../errors.js';

/** The public API's routes (under API_PREFIX) and their methods; HEAD goes with GET. */
export const PUBLIC_API_METHODS: Readonly<Record<string, readonly string[]>> = {
  '/oauth/token': ['POST'],
  '/images': ['GET', 'POST'],
  '/images/:id': ['GET', 'PATCH', 'DELETE'],
  '/sources/*': ['DELETE'],
  '/sign': ['POST'],
};

/** The `Allow` value: the methods given, HEAD after GET. */
export function allowHeader(methods: readonly string[]): string {
  return methods.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])).join(', ');
}

export function methodNotAllowed(method: string, path: string, methods: readonly string[]): ImgedgeError {
  const allow = allowHeader(methods);
  return new ImgedgeError('method_not_allowed', `${method} is not allowed on ${path}; allowed: ${allow}`, {
    extra: { allowed: allow.split(', ') },
    headers: { allow },
  });
}

/**
 * Middleware passing on requests whose method is one of `methods` and answering 405 otherwise.
 * Mount it before the routes (and before authentication: the answer reveals only what the
 * documentation says). GET allows HEAD too (Hono routes HEAD to the GET handler).
 */
export function allowMethods(...methods: string[]): MiddlewareHandler {
  const allowed = allowHeader(methods).split(', ');
  return async (c, next) => {
    if (!allowed.includes(c.req.method)) throw methodNotAllowed(c.req.method, c.req.path, methods);
    await next();
  };
}

/** Mount allowMethods for every route of `table` under `prefix`. */
// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its Env.
export function mountAllowedMethods(app: Hono<any>, prefix: string, table = PUBLIC_API_METHODS): void {
  for (const [path, methods] of Object.entries(table)) app.use(`${prefix}${path}`, allowMethods(...methods));
}
