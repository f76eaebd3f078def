import { DEFAULT_API_PREFIX } from '../shared/config/defaults.js';
import { createEdgeApp } from './app.js';
import type { EdgeBindings } from './config.js';

/** Routes depend on API_PREFIX, so there is one app per prefix (in practice, one per isolate). */
const apps = new Map<string, ReturnType<typeof createEdgeApp>>();

export default {
  fetch(request: Request, env: EdgeBindings, ctx: ExecutionContext): Response | Promise<Response> {
    const prefix = env.API_PREFIX || DEFAULT_API_PREFIX;
    let app = apps.get(prefix);
    if (!app) {
      app = createEdgeApp(prefix);
      apps.set(prefix, app);
    }
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<EdgeBindings>;
