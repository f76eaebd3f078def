import type { Context, MiddlewareHandler } from 'hono';
import { ImgedgeError } from '../../shared/errors.js';
import { withTimeout } from '../../shared/timeout.js';
import type { EdgeEnv } from '../env.js';
import { log } from '../log.js';
import type { Limiter, LimitResult } from '../ratelimit/limiter.js';

export interface LimitPolicy {
  limiter: Limiter;
  /** What to do when the limiter errors or is slow: true lets the request through. */
  failOpen: boolean;
  timeoutMs: number;
  /** For log lines. */
  name: string;
}

/**
 * Spend one request of `key`'s budget. Returns the `RateLimit-*` headers
 * (draft-ietf-httpapi-ratelimit-headers) to add to the response, or throws 429 with Retry-After.
 * A broken or slow limiter fails open (returns no headers) or closed (503), and says so in a log line.
 */
export async function enforceLimit(
  c: Context<EdgeEnv>,
  policy: LimitPolicy,
  key: string,
): Promise<Record<string, string>> {
  let result: LimitResult;
  try {
    result = await withTimeout(policy.limiter.limit(key), policy.timeoutMs);
  } catch (err) {
    log(c, 'warn', {
      msg: `rate limiter unavailable: failing ${policy.failOpen ? 'open' : 'closed'}`,
      limiter: policy.name,
      reason: err instanceof Error ? err.message : String(err),
    });
    if (policy.failOpen) return {};
    throw new ImgedgeError('unavailable', 'Rate limiting is unavailable; retry shortly', {
      headers: { 'retry-after': '5' },
    });
  }
  const resetSeconds = Math.max(0, Math.ceil((result.reset - Date.now()) / 1000));
  const headers = {
    'ratelimit-limit': String(result.limit),
    'ratelimit-remaining': String(result.remaining),
    'ratelimit-reset': String(resetSeconds),
  };
  if (!result.success) {
    throw new ImgedgeError('rate_limited', `Rate limit of ${result.limit} requests exceeded`, {
      headers: { ...headers, 'retry-after': String(Math.max(1, resetSeconds)) },
    });
  }
  return headers;
}

export interface RateLimitOptions {
  policy: (c: Context) => LimitPolicy;
  /** Whose budget the request spends; undefined skips limiting. */
  key: (c: Context) => string | undefined;
}

/** Middleware form of enforceLimit: limits, runs the route, adds the headers. */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  return async (c, next) => {
    const key = options.key(c);
    if (key === undefined) return next();
    const headers = await enforceLimit(c as Context<EdgeEnv>, options.policy(c), key);
    await next();
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  };
}
