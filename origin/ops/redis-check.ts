/**
 * The /health check of Redis with coordination on. Once Redis has answered the coordination
 * connection, Redis going away degrades the replica (200, 'degraded': it falls back to local
 * single-flight and short id TTLs, see coordination/health.ts) — a replica must not be drained
 * for it. Until then, a REDIS_URL that has never answered (wrong port or password, not Redis) is
 * more likely a configuration error: the plain probe (ops/redis-ping.ts) decides, and its failure
 * is a 'fail' with the precise reason.
 */
import type { Coordination } from '../coordination/coordination.js';
import type { HealthCheck } from './health.js';
import { redisPing } from './redis-ping.js';

export function redisHealthCheck(coordination: Coordination, url: string, timeoutMs = 1500): HealthCheck {
  let answered = coordination.redis.isUp;
  coordination.redis.on('status', (status: string) => {
    if (status === 'up') answered = true;
  });
  return {
    name: 'redis',
    run: async () => {
      if (!answered && !coordination.redis.isUp) return redisPing(url, timeoutMs);
      return coordination.healthCheck.run();
    },
  };
}
