import { createHash, timingSafeEqual } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import { ImgedgeError } from '../../../shared/errors.js';
import type { OriginEnv } from '../env.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Guards /internal/*: only the edge, holding ORIGIN_AUTH_TOKEN, may call it. Constant-time compare. */
export function requireOriginToken(
  token: string,
  refusal = 'This endpoint is only for the imgedge edge worker',
) {
  const expected = digest(token);
  return createMiddleware<OriginEnv>(async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    // Comparing fixed-length digests keeps the comparison constant-time whatever the input length.
    if (!timingSafeEqual(digest(given), expected) || given.length === 0) {
      throw new ImgedgeError('forbidden', refusal);
    }
    await next();
  });
}
