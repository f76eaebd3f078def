/**
 * Test replicas: each one is a separate set of Redis connections (as a separate origin process would
 * have), built with startCoordination under a per-test key prefix, plus skipping when no Redis runs.
 */
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'vitest';
import { type Coordination, startCoordination } from '../../../origin/coordination/coordination.js';
import { until } from '../../support/redis-server.js';
import { REDIS_REQUIRED, redisAnswers, TEST_REDIS_URL } from '../../support/services.js';

export async function requireRedis(ctx: TestContext): Promise<void> {
  if (await redisAnswers(TEST_REDIS_URL)) return;
  if (REDIS_REQUIRED)
    throw new Error(`Redis is required but does not answer at ${TEST_REDIS_URL} (TEST_REDIS_URL)`);
  ctx.skip(`no Redis at ${TEST_REDIS_URL}; set TEST_REDIS_URL (or IMGEDGE_REQUIRE_SERVICES=1 to fail)`);
}

export function uniquePrefix(): string {
  return `imgedge-test:${randomBytes(6).toString('hex')}:`;
}

/** `count` replicas on `url`, ready (command connection up, invalidation subscribed). */
export async function startReplicas(
  count: number,
  prefix: string,
  url = TEST_REDIS_URL,
): Promise<Coordination[]> {
  const replicas = Array.from({ length: count }, () => startCoordination(url, { prefix }));
  await until(() => replicas.every((r) => r.redis.isUp && r.invalidation.healthy), 'replicas connected');
  return replicas;
}

export async function closeAll(replicas: readonly Coordination[]): Promise<void> {
  await Promise.all(replicas.map((r) => r.close()));
}
