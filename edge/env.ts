import type { AccessClaims } from '../shared/auth/jwt.js';
import type { EdgeBindings, EdgeConfig } from './config.js';

/** Hono typing for the worker: bindings from wrangler, variables set by middleware. */
export interface EdgeEnv {
  Bindings: EdgeBindings;
  Variables: {
    config: EdgeConfig;
    requestId: string;
    claims: AccessClaims;
    /** Cache outcome for the access log: HIT, MISS, or unset. */
    cacheStatus: string;
  };
}
