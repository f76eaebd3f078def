/**
 * Composition root: from a validated Config to a running app's dependencies. Used by the server
 * entry point and by the integration tests (which start real origins on ephemeral ports).
 */
import { randomBytes } from 'node:crypto';
import { loadTokenKeys } from './auth/keys.js';
import type { Config } from './config/load.js';
import { type Coordination, coordinationFromConfig } from './coordination/coordination.js';
import { connectDb } from './db/connect.js';
import { CursorSealer } from './db/cursor.js';
import type { Db } from './db/driver.js';
import { measuredDb } from './db/measured.js';
import { migrate } from './db/migrate.js';
import type { PgliteDatabase } from './db/pglite.js';
import { createApp } from './http/app.js';
import { createMezzanineStore } from './mezzanine/create.js';
import { Mezzanines } from './mezzanine/service.js';
import type { Logger } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import type { HealthCheck } from './ops/health.js';
import { redisHealthCheck } from './ops/redis-check.js';
import { createSources } from './sources/create.js';
import type { SourceFetcher } from './sources/fetch-source.js';
import { createOriginalStore, createSourceCache, createVariantStore } from './storage/create.js';
import { storageFailureMessage } from './storage/originals.js';
import { AvifProcesses } from './transform/avif-encoders.js';
import { BackgroundWork } from './variants/background.js';
import { VariantCache } from './variants/disk-cache.js';
import { EagerPresets } from './variants/eager.js';
import { VariantService } from './variants/service.js';
import { type Made, Tier2 } from './variants/tier2.js';
import { LANES, WorkPool } from './variants/work-pool.js';

export interface Runtime {
  app: ReturnType<typeof createApp>;
  db: Db;
  metrics: ReturnType<typeof createMetrics>;
  pool: WorkPool;
  /**
   * The background lane's entry point for best-effort work (eager presets, mezzanines, backfills):
   * `background.submit(task, work, { avif? })` (variants/background.ts).
   */
  background: BackgroundWork;
  /**
   * When this process holds a PGlite folder: records `url` (where it listens) and its admin token
   * in the folder's lock file, so that the client CLI goes through this process. Else a no-op.
   */
  advertise(url: string): Promise<void>;
  /** Marks the process as draining: /health answers 503 from now on. */
  beginShutdown(): void;
  close(): Promise<void>;
}

/**
 * A start-up failure that one setting explains (database unreachable, UPLOAD_DIR unusable…):
 * the entry point prints it as one line naming `variable`, without a stack trace.
 */
export class StartupError extends Error {
  constructor(
    readonly variable: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StartupError';
  }
}

async function startupStep<T>(variable: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new StartupError(variable, `${what}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

export interface RuntimeOptions {
  /** Use this database instead of connecting from config (tests); the caller keeps ownership. */
  db?: Db;
}

export async function createRuntime(
  config: Config,
  logger: Logger,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  const metrics = createMetrics();
  const ownsDb = options.db === undefined;
  const dbVariable = config.database.url ? 'DATABASE_URL' : 'PGLITE_DIR';
  const rawDb =
    options.db ??
    (await startupStep(dbVariable, 'cannot open the database', () =>
      connectDb({
        databaseUrl: config.database.url,
        pgliteDir: config.database.pgliteDir,
        maxConnections: config.database.poolMax,
      }),
    ));
  // Every statement timed and every failure counted by SQLSTATE class (imgedge_database_*).
  const db = measuredDb(rawDb, metrics);
  let coordination: Coordination | undefined;
  let sourceFetcher: SourceFetcher | undefined;
  let background: BackgroundWork | undefined;
  let avifEncoder: AvifProcesses | undefined;
  const closeAll = async () => {
    // Queued background work is skipped; running tasks finish before their resources close.
    await background?.stop().catch(() => {});
    await avifEncoder?.close().catch(() => {});
    await sourceFetcher?.close().catch(() => {});
    await coordination?.close().catch(() => {});
    if (ownsDb) await db.close();
  };
  // The embedded database has one writer, this process: the client CLI comes through /admin.
  const lock = ownsDb && rawDb.kind === 'pglite' ? (rawDb as PgliteDatabase).lock : undefined;
  const adminToken = lock ? randomBytes(32).toString('base64url') : undefined;
  try {
    const applied = await startupStep(dbVariable, 'cannot reach or migrate the database', () => migrate(db));
    if (applied.length > 0) logger.info({ applied }, 'database migrations applied');
    logger.info({ database: db.kind }, 'database ready');

    // With S3_BUCKET: what transforms read from the bucket (originals, mezzanine levels), in memory.
    const sourceCache = createSourceCache(config, metrics);
    const originals = createOriginalStore(config, metrics, sourceCache);
    await startupStep('UPLOAD_DIR', `cannot use ${config.uploadDir}`, () => originals.init());
    const s3 = config.s3;
    if (s3) {
      // A missing bucket or refused credentials stop the start (one line naming S3_BUCKET).
      const where = `${s3.bucket}${s3.endpoint ? ` at ${s3.endpoint}` : ''}`;
      await startupStep('S3_BUCKET', `cannot use bucket ${where}`, () =>
        originals.probe().catch((err: unknown) => {
          throw new Error(storageFailureMessage(err), { cause: err });
        }),
      );
      logger.info({ bucket: s3.bucket, endpoint: s3.endpoint, prefix: s3.prefix }, 'object storage ready');
    }
    const variantCache = new VariantCache({
      dir: config.outputDir,
      maxBytes: config.variantCacheBytes,
      onEvent: (event) => metrics.variantCache.inc({ event }),
      onSize: (bytes) => metrics.variantCacheBytes.set(bytes),
    });
    await startupStep('OUTPUT_DIR', `cannot use ${config.outputDir}`, () => variantCache.init());
    const pool = new WorkPool({
      concurrency: config.transform.concurrency,
      queue: config.transform.queue,
      backgroundQueue: config.transform.backgroundQueue,
      avifShare: config.transform.avifShare,
      onChange: ({ running, queued, lanes, avifRunning }) => {
        metrics.transformInFlight.set(running);
        metrics.transformQueueDepth.set(queued);
        metrics.transformAvifInFlight.set(avifRunning);
        for (const [lane, state] of Object.entries(lanes)) {
          metrics.transformLaneInFlight.set({ lane }, state.running);
          metrics.transformLaneQueueDepth.set({ lane }, state.queued);
        }
      },
      onStart: (lane, waited) => metrics.transformWait.observe({ lane }, waited),
      // Counted where it happens: variant transforms and upload decode checks share the pool.
      onReject: () => metrics.transformRejected.inc(),
      onDrop: () => metrics.transformBackgroundDropped.inc(),
    });
    for (const lane of LANES) {
      metrics.transformLaneInFlight.set({ lane }, 0);
      metrics.transformLaneQueueDepth.set({ lane }, 0);
    }
    metrics.transformAvifSlots.set(pool.avifSlots);
    // One encoder process per AVIF slot: the pool bounds how many AVIF encodes run at once.
    const avifNice = config.transform.avifNice;
    if (avifNice !== undefined) {
      avifEncoder = new AvifProcesses({
        processes: pool.avifSlots,
        nice: avifNice,
        onRestart: (reason) => metrics.avifEncoderRestarts.inc({ reason }),
      });
    }
    background = new BackgroundWork({ pool, logger, metrics });
    metrics.transformQueueCapacity.set(config.transform.queue);
    // With REDIS_URL: single-flight across replicas and deletes seen by every replica at once.
    // Redis down (even at start) never stops the origin: each part falls back to local behaviour.
    coordination = coordinationFromConfig(config, { logger });
    if (coordination) logger.info('coordination through Redis on');
    const variantStore = createVariantStore(config);
    const tier2 =
      variantStore &&
      new Tier2({
        store: variantStore,
        cache: variantCache,
        flight: coordination?.singleFlight<Made>({
          // A waiter gives up on a live holder only after its transform would have timed out.
          waitTimeoutMs: config.transform.timeoutMs + 15_000,
          onEvent: (event) => metrics.variantFlight.inc({ event: event.type }),
        }),
        onEvent: (event) => metrics.variantTier2.inc({ event }),
        onError: (err, operation) =>
          logger.warn({ err, operation }, 'variant tier 2 unavailable; serving from tier 1 and transforms'),
      });
    const mezzanines = config.mezzanines
      ? new Mezzanines({
          store: createMezzanineStore(config, sourceCache),
          originals,
          pool,
          maxInputPixels: config.maxInputPixels,
          onEvent: (event) => metrics.mezzanines.inc({ event }),
          onError: (err, sha256) =>
            logger.warn({ err, sha256 }, 'mezzanine not made; variants use the original'),
        })
      : undefined;
    const variantService = new VariantService({
      db,
      originals,
      variantCache,
      pool,
      metrics,
      maxInputPixels: config.maxInputPixels,
      maxAnimationFrames: config.maxAnimationFrames,
      maxOutputPixels: config.maxOutputPixels,
      timeoutMs: config.transform.timeoutMs,
      watermarks: config.watermarks.definitions,
      watermarkCacheBytes: config.watermarks.cacheBytes,
      ...(tier2 ? { tier2 } : {}),
      ...(coordination ? { invalidation: coordination.invalidation } : {}),
      ...(mezzanines ? { mezzanines } : {}),
      ...(avifEncoder ? { avifEncoder } : {}),
    });
    const sources = createSources(config, logger, {
      db,
      originals,
      variantCache,
      variantStore,
      variantService,
      pool,
      metrics,
      coordination,
      mezzanines,
    });
    sourceFetcher = sources.fetcher;
    const checks: HealthCheck[] = [
      { name: 'database', run: () => db.ping(1500) },
      {
        name: 'storage',
        run: () =>
          originals.probe().catch((err: unknown) => {
            throw new Error(storageFailureMessage(err), { cause: err });
          }),
      },
    ];
    // Coordination on: Redis going away degrades the replica (200, 'degraded'), see redis-check.ts.
    if (coordination && config.redisUrl) checks.push(redisHealthCheck(coordination, config.redisUrl));

    let shuttingDown = false;
    const app = createApp({
      apiPrefix: config.apiPrefix,
      publicBaseUrl: config.publicBaseUrl,
      maxFileSize: config.maxFileSize,
      maxInputPixels: config.maxInputPixels,
      maxAnimationFrames: config.maxAnimationFrames,
      tokenTtlSeconds: config.jwt.ttlSeconds,
      originAuthToken: config.originAuthToken,
      adminToken,
      db,
      logger,
      metrics,
      keys: await loadTokenKeys(config),
      originals,
      variantCache,
      variantStore,
      variantService,
      mezzanines,
      sourceCache: sources.cache,
      signing: { ...config.signing, sources: config.sources.bases },
      cursors: new CursorSealer(config.secretKey),
      pool,
      eager: new EagerPresets({ presets: config.eagerPresets, variantService, background }),
      checks,
      isShuttingDown: () => shuttingDown,
    });
    return {
      app,
      db,
      metrics,
      pool,
      background,
      advertise: async (url) => {
        if (lock && adminToken) await lock.advertise({ url, token: adminToken });
      },
      beginShutdown: () => {
        shuttingDown = true;
      },
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
