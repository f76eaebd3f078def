/**
 * Everything coordination through Redis needs, from one REDIS_URL: a command connection, the
 * process's shared subscriber connection, the lock, invalidation and the /health check. Nothing
 * here blocks start-up: while Redis is down every part falls back to local behaviour.
 */
import type { Logger } from '../observability/logger.js';
import { DistributedLock } from './distributed-lock.js';
import { coordinationHealthCheck, type DegradableCheck } from './health.js';
import { Invalidation, type InvalidationOptions } from './invalidation.js';
import { RedisConnection } from './redis.js';
import { ReplicaSingleFlight, type ReplicaSingleFlightOptions } from './replica-single-flight.js';
import { SharedSubscriber } from './subscriber.js';

export interface Coordination {
  redis: RedisConnection;
  subscriber: SharedSubscriber;
  locks: DistributedLock;
  invalidation: Invalidation;
  healthCheck: DegradableCheck;
  singleFlight<T>(options?: ReplicaSingleFlightOptions): ReplicaSingleFlight<T>;
  close(): Promise<void>;
}

export interface CoordinationOptions {
  logger?: Logger;
  /** Key and channel prefix, so several deployments can share one Redis. */
  prefix?: string;
  invalidation?: InvalidationOptions;
  commandTimeoutMs?: number;
}

/** Coordination from the resolved config's `redisUrl` (REDIS_URL or REDIS_HOST…), or none when unset. */
export function coordinationFromConfig(
  config: { redisUrl: string | undefined },
  options: CoordinationOptions = {},
): Coordination | undefined {
  return config.redisUrl ? startCoordination(config.redisUrl, options) : undefined;
}

export function startCoordination(url: string, options: CoordinationOptions = {}): Coordination {
  const prefix = options.prefix ?? 'imgedge:';
  const redis = new RedisConnection(url, {
    name: 'imgedge-coordination',
    logger: options.logger,
    commandTimeoutMs: options.commandTimeoutMs,
  });
  const subscriber = new SharedSubscriber(redis.duplicate('imgedge-subscriber'));
  const locks = new DistributedLock(redis, subscriber, { prefix: `${prefix}lock:` });
  const invalidation = new Invalidation(redis, subscriber, {
    channel: `${prefix}forget`,
    ...options.invalidation,
  });
  void redis.connect();
  void subscriber.connection.connect();
  return {
    redis,
    subscriber,
    locks,
    invalidation,
    healthCheck: coordinationHealthCheck(redis, subscriber),
    singleFlight: (flightOptions) => new ReplicaSingleFlight(redis, locks, flightOptions),
    close: async () => {
      invalidation.close();
      await Promise.all([subscriber.close(), redis.close()]);
    },
  };
}
