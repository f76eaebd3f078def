/**
 * The /health check of coordination through Redis. Redis being down degrades the origin (replicas
 * fall back to local single-flight and short id-cache TTLs) but does not make it unhealthy, so this
 * check never fails: it reports 'degraded' with the reason instead.
 *
 * origin/ops/health.ts has no 'degraded' yet; see DegradableCheck for the shape it would take.
 */
import type { RedisConnection } from './redis.js';
import type { SharedSubscriber } from './subscriber.js';

export type DegradableResult = { status: 'ok' } | { status: 'degraded'; error: string };

/** A health check whose trouble degrades the service (answer 200, status 'degraded') rather than failing it. */
export interface DegradableCheck {
  name: string;
  degradable: true;
  run: () => Promise<DegradableResult>;
}

export function coordinationHealthCheck(
  redis: RedisConnection,
  subscriber?: SharedSubscriber,
): DegradableCheck {
  return {
    name: 'redis',
    degradable: true,
    run: async () => {
      if (!redis.isUp) return degraded(`redis down${redis.error ? `: ${redis.error.message}` : ''}`);
      try {
        await redis.client.ping();
      } catch (err) {
        return degraded(`redis: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (subscriber && !subscriber.connection.isUp) return degraded('redis subscriber reconnecting');
      return { status: 'ok' };
    },
  };
}

function degraded(error: string): DegradableResult {
  // One short line: error messages from the client can carry addresses but never credentials.
  return { status: 'degraded', error: `${error.split('\n')[0]?.slice(0, 160)}; coordination is local` };
}
