import type { Context } from 'hono';
import type { EdgeConfig } from '../config.js';
import type { EdgeEnv } from '../env.js';
import { log } from '../log.js';
import type { Limiter } from './limiter.js';
import { memoryLimiter } from './memory.js';
import { upstashLimiter } from './upstash.js';

export interface Limiters {
  /** Image cache misses, per client IP. */
  image: Limiter;
  /** Authenticated API calls, per token subject. */
  api: Limiter;
  /** The token endpoint, per client IP (brute-force guard). */
  token: Limiter;
}

const byConfig = new WeakMap<EdgeConfig, Limiters>();

/**
 * The limiters of request `c`'s config: one set per validated config (i.e. per isolate and
 * environment). The request that makes them logs, with its id, when they are in-memory ones.
 */
export function limitersFor(c: Context<EdgeEnv>): Limiters {
  const config = c.get('config');
  const existing = byConfig.get(config);
  if (existing) return existing;
  const { upstash, limits } = config;
  let made: Limiters;
  if (upstash) {
    made = {
      image: upstashLimiter({ ...upstash, spec: limits.image, prefix: 'imgedge:rl:img' }),
      api: upstashLimiter({ ...upstash, spec: limits.api, prefix: 'imgedge:rl:api' }),
      token: upstashLimiter({ ...upstash, spec: limits.token, prefix: 'imgedge:rl:token' }),
    };
  } else {
    log(c, 'warn', {
      msg: 'UPSTASH_REDIS_REST_URL/TOKEN not set: using in-memory rate limits (per instance, local development only)',
    });
    made = {
      image: memoryLimiter(limits.image),
      api: memoryLimiter(limits.api),
      token: memoryLimiter(limits.token),
    };
  }
  byConfig.set(config, made);
  return made;
}
