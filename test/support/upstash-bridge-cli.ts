/**
 * Run the Upstash REST bridge by hand or from a script (e.g. next to `wrangler dev`):
 *   node_modules/.bin/tsx test/support/upstash-bridge-cli.ts
 * (signal that process to stop it: an `npx` wrapper exits on SIGTERM without forwarding it).
 * Env: TEST_REDIS_URL (default redis://127.0.0.1:6379), UPSTASH_BRIDGE_TOKEN, UPSTASH_BRIDGE_PORT.
 * Prints one JSON line `{"url":…,"token":…}` once listening; stops on SIGINT/SIGTERM.
 */
import { startUpstashBridge } from './upstash-bridge.js';

const bridge = await startUpstashBridge({
  redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  token: process.env.UPSTASH_BRIDGE_TOKEN ?? 'local-upstash-bridge-token',
  port: Number(process.env.UPSTASH_BRIDGE_PORT ?? 0),
});
console.log(JSON.stringify({ url: bridge.url, token: bridge.token }));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void bridge.close().then(() => process.exit(0));
  });
}
