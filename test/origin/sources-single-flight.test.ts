/**
 * One fetch per source path at a time: concurrent lookups of a source that is not cached (or
 * stale) send ONE request to the source — within a process, and across replicas sharing the
 * database and the originals through the coordination lock in the real Redis. Real parts: the test
 * database, a local originals folder shared by the "replicas", the real fetcher over HTTP to a slow
 * local server.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Coordination } from '../../origin/coordination/coordination.js';
import { ReplicaSingleFlight } from '../../origin/coordination/replica-single-flight.js';
import { createLogger } from '../../origin/observability/logger.js';
import { createMetrics } from '../../origin/observability/metrics.js';
import { addressPolicy } from '../../origin/sources/address-policy.js';
import { SourceFetcher } from '../../origin/sources/fetch-source.js';
import { SourceCache, type SourceEntry, type SourceFlight } from '../../origin/sources/source-cache.js';
import { LocalOriginalStore } from '../../origin/storage/local.js';
import { inspectImage } from '../../origin/uploads/inspect.js';
import { VariantCache } from '../../origin/variants/disk-cache.js';
import { WorkPool } from '../../origin/variants/work-pool.js';
import { parseSourceRef, parseSources } from '../../shared/sources/index.js';
import { describeDb, openTestDb, type TestDb } from '../support/db.js';
import { imageHandler, type SourceServer, startSourceServer } from '../support/source-server.js';
import { closeAll, requireRedis, startReplicas, uniquePrefix } from './coordination/replicas.js';

let server: SourceServer;
let testDb: TestDb;
let dir: string;
let png: Buffer;
const pool = new WorkPool({ concurrency: 2, queue: 32 });
const log = createLogger({ level: 'silent' });

beforeAll(async () => {
  server = await startSourceServer();
  testDb = await openTestDb({ migrate: true });
  dir = await mkdtemp(join(tmpdir(), 'imgedge-src-flight-'));
  png = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#c00' } })
    .png()
    .toBuffer();
  const slow = imageHandler(() => png);
  // Slow enough that every concurrent lookup starts while the first fetch is under way.
  server.on('/img/slow.png', async (req, res) => {
    await new Promise((resolve) => setTimeout(resolve, 400));
    await slow(req, res);
  });
});
afterAll(async () => {
  await server?.close();
  await testDb?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A replica's source cache: its own fetcher, metrics and tier 1; the database and originals shared. */
async function replica(name: string, flight: SourceFlight) {
  const sources = parseSources(JSON.stringify({ t: `${server.url}/img/` }));
  const originals = new LocalOriginalStore(join(dir, 'originals'));
  await originals.init();
  const variantCache = new VariantCache({ dir: join(dir, name, 'variants'), maxBytes: 1024 * 1024 });
  await variantCache.init();
  const fetcher = new SourceFetcher({
    sources,
    policy: addressPolicy({ allowPrivateNetworks: true }),
    connectTimeoutMs: 2000,
    timeoutMs: 10_000,
    maxBytes: 1024 * 1024,
    tempPath: () => originals.tempPath(),
    inspect: (file) => inspectImage(file, { pool, maxInputPixels: 1_000_000 }),
  });
  const cache = new SourceCache({
    db: testDb.db,
    sources,
    fetcher,
    metrics: createMetrics(),
    originals,
    variantCache,
    variantStore: undefined,
    ttlSeconds: 600,
    notFoundTtlSeconds: 60,
    flight,
    onRemoved: async () => {},
  });
  return { cache, close: () => fetcher.close() };
}

const ref = parseSourceRef('@t/slow.png');

async function makeStale(): Promise<void> {
  await testDb.db.query(`update source_cache set fresh_until = now() - interval '1 second'`);
}

describeDb('remote sources: single-flight per source path', () => {
  it('in one process: 8 concurrent lookups, one request to the source', async () => {
    const one = await replica('local', new ReplicaSingleFlight<SourceEntry>(undefined, undefined));
    try {
      const before = server.count('/img/slow.png');
      const results = await Promise.all(Array.from({ length: 8 }, () => one.cache.resolve(ref, log)));
      expect(server.count('/img/slow.png')).toBe(before + 1);
      expect(new Set(results.map((r) => r.sha256)).size).toBe(1);
      // Stale: again one (conditional) request for all of them.
      await makeStale();
      await Promise.all(Array.from({ length: 8 }, () => one.cache.resolve(ref, log)));
      expect(server.count('/img/slow.png')).toBe(before + 2);
      expect(server.count('/img/slow.png', true)).toBe(1);
    } finally {
      await one.close();
    }
  });

  it('across replicas (Redis lock): concurrent lookups on 3 replicas, one request to the source', async (ctx) => {
    await requireRedis(ctx);
    const coordinations: Coordination[] = await startReplicas(3, uniquePrefix());
    const replicas = await Promise.all(
      coordinations.map((c, i) => replica(`r${i}`, c.singleFlight<SourceEntry>({ waitTimeoutMs: 20_000 }))),
    );
    try {
      await makeStale();
      const before = server.count('/img/slow.png');
      const results = await Promise.all(
        replicas.flatMap((r) => Array.from({ length: 3 }, () => r.cache.resolve(ref, log))),
      );
      expect(server.count('/img/slow.png')).toBe(before + 1);
      expect(new Set(results.map((r) => r.sha256)).size).toBe(1);
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
      await closeAll(coordinations);
    }
  });
});
