import { Ratelimit } from '@upstash/ratelimit';
import { Redis } from '@upstash/redis/cloudflare';
import type { RateSpec } from '../config.js';
import type { Limiter } from './limiter.js';

export interface UpstashLimiterOptions {
  url: string;
  token: string;
  spec: RateSpec;
  /** Key namespace, e.g. `imgedge:img`. */
  prefix: string;
}

/**
 * A sliding-window limiter in Upstash Redis, shared by every worker instance. Timeouts are
 * handled by the rate-limit middleware (fail open or closed per route), not by the library.
 */
export function upstashLimiter(options: UpstashLimiterOptions): Limiter {
  // No client-side retries: a slow or broken limiter must hit RATE_LIMIT_TIMEOUT_MS and fail
  // open or closed at once, not wait out retries.
  const redis = new Redis({
    url: options.url,
    token: options.token,
    enableTelemetry: false,
    retry: { retries: 0 },
  });
  const ratelimit = new Ratelimit({
    redis,
    limiter: Ratelimit.slidingWindow(options.spec.requests, `${options.spec.windowSeconds} s`),
    prefix: options.prefix,
    timeout: 0,
    analytics: false,
    ephemeralCache: false,
  });
  return {
    async limit(key) {
      const r = await ratelimit.limit(key);
      return { success: r.success, limit: r.limit, remaining: r.remaining, reset: r.reset };
    },
  };
}
