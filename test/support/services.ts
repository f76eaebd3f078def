/**
 * Which real services and tools the tests use, and whether their absence skips or fails a test. On
 * a fresh laptop a test that needs an absent Redis skips with a message naming TEST_REDIS_URL (one
 * that needs promtool, naming the package to install); in CI (IMGEDGE_REQUIRE_SERVICES=1), or when
 * TEST_REDIS_URL is set explicitly, it fails instead.
 */
import { Redis as IORedis } from 'ioredis';
import { PROMTOOL_HINT, promtoolPath } from '../../scripts/lib/monitoring.js';

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

/** promtool (Debian's `prometheus` package, or PROMTOOL=path), for the monitoring checks. */
export const PROMTOOL = promtoolPath();

/**
 * Call first in a test that runs promtool: without it the test skips with a message naming how to
 * get it; in CI (IMGEDGE_REQUIRE_SERVICES=1) it fails instead.
 */
export function needPromtool(ctx: { skip(note?: string): void }): void {
  if (PROMTOOL) return;
  if (REQUIRE_SERVICES) throw new Error(`IMGEDGE_REQUIRE_SERVICES=1: ${PROMTOOL_HINT}`);
  ctx.skip(`${PROMTOOL_HINT} (or IMGEDGE_REQUIRE_SERVICES=1 to fail)`);
}
