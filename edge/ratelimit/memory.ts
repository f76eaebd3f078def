import type { RateSpec } from '../config.js';
import type { Limiter } from './limiter.js';

/**
 * Local-development limiter: a sliding window (two fixed windows, weighted) per key, in this
 * isolate's memory only. Not shared between instances — production uses Upstash.
 */
export function memoryLimiter(spec: RateSpec, now: () => number = Date.now): Limiter {
  const windowMs = spec.windowSeconds * 1000;
  const counts = new Map<string, { window: number; current: number; previous: number }>();
  return {
    async limit(key) {
      const t = now();
      const window = Math.floor(t / windowMs);
      let entry = counts.get(key);
      if (!entry || entry.window < window - 1) entry = { window, current: 0, previous: 0 };
      else if (entry.window === window - 1) entry = { window, current: 0, previous: entry.current };
      const elapsed = (t % windowMs) / windowMs;
      const used = entry.previous * (1 - elapsed) + entry.current;
      const success = used < spec.requests;
      if (success) entry.current++;
      counts.set(key, entry);
      if (counts.size > 10_000) {
        for (const [k, v] of counts) if (v.window < window - 1) counts.delete(k);
      }
      const remaining = Math.max(0, Math.floor(spec.requests - used - (success ? 1 : 0)));
      return { success, limit: spec.requests, remaining, reset: (window + 1) * windowMs };
    },
  };
}
