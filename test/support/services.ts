/**
 * Which real services the tests use, and whether their absence skips or fails a test. On a fresh
 * laptop a test that needs an absent Redis skips with a message naming TEST_REDIS_URL; in CI
 * (IMGEDGE_REQUIRE_SERVICES=1), or when TEST_REDIS_URL is set explicitly, it fails instead.
 */
import { Redis as IORedis } from 'ioredis';

export const REQUIRE_SERVICES = process.env.IMGEDGE_REQUIRE_SERVICES === '1';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
export const REDIS_REQUIRED = REQUIRE_SERVICES || Boolean(process.env.TEST_REDIS_URL);

/** Does a Redis answer PING at `url` (within about a second)? */
export async function redisAnswers(url: string = TEST_REDIS_URL): Promise<boolean> {
  const probe = new IORedis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}
