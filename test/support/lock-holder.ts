/**
 * A replica that takes a coordination lock and then hangs while renewing it, for tests that kill
 * it (SIGKILL) to simulate a holder that dies. Usage: tsx lock-holder.ts <redis url> <prefix> <key> <ttl ms>
 * Prints "held" on stdout once it holds the lock, "busy" if someone else does.
 */
import { DistributedLock } from '../../origin/coordination/distributed-lock.js';
import { RedisConnection } from '../../origin/coordination/redis.js';
import { SharedSubscriber } from '../../origin/coordination/subscriber.js';

const [url, prefix, key, ttl] = process.argv.slice(2);
if (!url || !prefix || !key || !ttl) throw new Error('usage: lock-holder.ts <url> <prefix> <key> <ttl ms>');
const redis = new RedisConnection(url);
await redis.connect();
const locks = new DistributedLock(redis, new SharedSubscriber(redis.duplicate()), { prefix });
const lock = await locks.acquire(key, Number(ttl));
process.stdout.write(lock ? 'held\n' : 'busy\n');
// Keep the process (and the lock's renewal) alive until killed.
setInterval(() => {}, 60_000);
