import { Hono } from 'hono';
import { DEFAULT_API_PREFIX } from '../shared/config/defaults.js';
import { ImgedgeError, problemResponse } from '../shared/errors.js';
import { allowMethods } from '../shared/http/methods.js';
import type { EdgeEnv } from './env.js';
import { log } from './log.js';
import { requestContext } from './middleware/context.js';
import { apiRoutes } from './routes/api.js';
import { healthRoutes } from './routes/health.js';
import { imageRoutes } from './routes/images.js';

/** The worker: request context first, then health, images and the API; errors as problem+json. */
export function createEdgeApp(apiPrefix = DEFAULT_API_PREFIX) {
  const app = new Hono<EdgeEnv>();
  app.use(requestContext());
  app.route('/', healthRoutes());
  app.use('/img/*', allowMethods('GET'));
  app.use('/cdn-cgi/image/*', allowMethods('GET'));
  app.route('/', imageRoutes());
  app.route('/', apiRoutes(apiPrefix));
  app.notFound((c) =>
    problemResponse(new ImgedgeError('not_found', `No route for ${c.req.method} ${c.req.path}`), c.req.path),
  );
  app.onError((err, c) => {
    if (!(err instanceof ImgedgeError)) {
      log(c, 'error', { msg: 'unhandled error', error: String(err), stack: (err as Error).stack });
    }
    return problemResponse(err, c.req.path);
  });
  return app;
}
