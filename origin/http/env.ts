import type { AccessClaims } from '../../shared/auth/jwt.js';
import type { Logger } from '../observability/logger.js';

/** Hono context variables set by the origin's middleware. */
export interface OriginEnv {
  Variables: {
    requestId: string;
    log: Logger;
    claims: AccessClaims;
  };
}
