import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { readMemoryLimit } from '../ops/memory-limit.js';

/**
 * prom-client's default gauges that break Prometheus' naming rules (`promtool check metrics`: a
 * gauge must not end in `_total`). Each is the sum of a labelled gauge kept beside it:
 * `sum(nodejs_active_handles)`, `sum(nodejs_active_requests)`, `sum(nodejs_active_resources)`.
 */
const DROPPED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

/** The three states of a health check, exposed as a state set (1 for the current one, 0 else). */
export const HEALTH_STATES = ['ok', 'degraded', 'fail'] as const;

/**
 * One registry per app instance (so tests can run several origins in one process). Every name
 * here is checked by `promtool check metrics` (`npm run check:monitoring`), and every name the
 * alert rules and the dashboard use (origin/monitoring/) must stay here: test/origin/ops/monitoring.test.ts.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({
      name: 'imgedge_http_requests_total',
      help: 'HTTP requests by method, route and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: 'imgedge_http_request_duration_seconds',
      help: 'HTTP request duration by method, route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    transforms: new Counter({
      name: 'imgedge_transforms_total',
      help: 'Image transforms run (cache misses that reached sharp), by output format and result',
      labelNames: ['format', 'result'] as const,
      registers,
    }),
    transformDuration: new Histogram({
      name: 'imgedge_transform_duration_seconds',
      help: 'Duration of the sharp pipeline by output format',
      labelNames: ['format'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 30],
      registers,
    }),
    transformQueueDepth: new Gauge({
      name: 'imgedge_transform_queue_depth',
      help: 'Transforms waiting for a worker slot',
      registers,
    }),
    transformInFlight: new Gauge({
      name: 'imgedge_transform_in_flight',
      help: 'Transforms running now',
      registers,
    }),
    transformRejected: new Counter({
      name: 'imgedge_transform_rejected_total',
      help: 'Work refused with 503 overloaded because the transform queue was full (variant transforms and upload decode checks)',
      registers,
    }),
    transformConcurrency: new Gauge({
      name: 'imgedge_transform_concurrency',
      help: 'Transforms allowed to run at once (TRANSFORM_CONCURRENCY)',
      registers,
    }),
    transformQueueCapacity: new Gauge({
      name: 'imgedge_transform_queue_capacity',
      help: 'Transforms allowed to wait before new work is refused with 503 (TRANSFORM_QUEUE)',
      registers,
    }),
    transformLaneQueueDepth: new Gauge({
      name: 'imgedge_transform_lane_queue_depth',
      help: 'Tasks waiting for a worker slot by lane (on_demand: variant misses and upload checks, bounded by TRANSFORM_QUEUE; background: eager presets and other best-effort work, bounded by TRANSFORM_BACKGROUND_QUEUE)',
      labelNames: ['lane'] as const,
      registers,
    }),
    transformLaneInFlight: new Gauge({
      name: 'imgedge_transform_lane_in_flight',
      help: 'Tasks holding a worker slot now, by lane (on_demand, background)',
      labelNames: ['lane'] as const,
      registers,
    }),
    transformWait: new Histogram({
      name: 'imgedge_transform_wait_seconds',
      help: 'Time a task waited for a worker slot, by lane (on_demand, background)',
      labelNames: ['lane'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    transformAvifInFlight: new Gauge({
      name: 'imgedge_transform_avif_in_flight',
      help: 'AVIF encodes holding a worker slot now (both lanes)',
      registers,
    }),
    transformAvifSlots: new Gauge({
      name: 'imgedge_transform_avif_slots',
      help: 'Worker slots AVIF encodes may hold at once: ceil(TRANSFORM_AVIF_SHARE × TRANSFORM_CONCURRENCY)',
      registers,
    }),
    avifEncoderRestarts: new Counter({
      name: 'imgedge_avif_encoder_restarts_total',
      help: 'AVIF encoder processes (AVIF_NICE) replaced: crashed mid-encode, or killed at the transform timeout',
      labelNames: ['reason'] as const,
      registers,
    }),
    transformBackgroundDropped: new Counter({
      name: 'imgedge_transform_background_dropped_total',
      help: 'Background tasks dropped because the background queue (TRANSFORM_BACKGROUND_QUEUE) was full',
      registers,
    }),
    backgroundTasks: new Counter({
      name: 'imgedge_background_tasks_total',
      help: 'Background tasks by task (eager_preset, …) and result (ok, error, dropped)',
      labelNames: ['task', 'result'] as const,
      registers,
    }),
    variantCache: new Counter({
      name: 'imgedge_variant_cache_total',
      help: 'Variant disk cache lookups and evictions',
      labelNames: ['event'] as const, // hit | miss | eviction
      registers,
    }),
    variantTier2: new Counter({
      name: 'imgedge_variant_tier2_total',
      help: 'Variant tier-2 (shared bucket) lookups and writes',
      labelNames: ['event'] as const, // hit | miss | error | put | put_error
      registers,
    }),
    mezzanines: new Counter({
      name: 'imgedge_mezzanine_total',
      help: 'Mezzanines made (after an upload, lazily, or by the backfill), originals that get none, background failures',
      labelNames: ['event'] as const, // made | none | error
      registers,
    }),
    variantFlight: new Counter({
      name: 'imgedge_variant_flight_total',
      help: 'Single-flight across replicas: locks taken, waits, takeovers of dead holders, wait timeouts, local fallbacks',
      labelNames: ['event'] as const, // acquired | wait | takeover | wait-timeout | fallback
      registers,
    }),
    originalCache: new Counter({
      name: 'imgedge_original_cache_total',
      help: 'In-memory cache of originals and mezzanine levels read from S3: hits, misses (a bucket read), reads sharing one under way, evictions',
      labelNames: ['event', 'kind'] as const, // hit | miss | shared | eviction; original | mezzanine
      registers,
    }),
    originalCacheBytes: new Gauge({
      name: 'imgedge_original_cache_bytes',
      help: 'Bytes held by the in-memory cache of originals and mezzanine levels (ORIGINAL_CACHE_BYTES)',
      registers,
    }),
    variantCacheBytes: new Gauge({
      name: 'imgedge_variant_cache_bytes',
      help: 'Bytes held by the variant disk cache',
      registers,
    }),
    uploads: new Counter({
      name: 'imgedge_uploads_total',
      help: 'Uploads by result (created, duplicate, rejected)',
      labelNames: ['result'] as const,
      registers,
    }),
    uploadBytes: new Counter({
      name: 'imgedge_upload_bytes_total',
      help: 'Bytes of accepted uploads',
      registers,
    }),
    storageDuration: new Histogram({
      name: 'imgedge_storage_operation_duration_seconds',
      help: 'Duration of originals storage operations by backend (local, s3) and operation (put, head, get, delete, probe)',
      labelNames: ['backend', 'operation'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    sourceFetches: new Counter({
      name: 'imgedge_source_fetches_total',
      help: 'Remote source lookups by source and result: fresh (served from the cache, no request), negative (a cached 404), revalidated_304, fetched_200, not_found, error, refused',
      labelNames: ['source', 'result'] as const,
      registers,
    }),
    sourceFetchBytes: new Counter({
      name: 'imgedge_source_fetch_bytes_total',
      help: 'Bytes of remote source images fetched (200 answers that passed every check), by source',
      labelNames: ['source'] as const,
      registers,
    }),
    sourceFetchDuration: new Histogram({
      name: 'imgedge_source_fetch_duration_seconds',
      help: 'Duration of requests to remote sources (redirects, body and checks included), by source and result',
      labelNames: ['source', 'result'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    sourceRefusals: new Counter({
      name: 'imgedge_source_refusals_total',
      help: 'Remote source fetches refused, by reason (an address kind, scheme, userinfo, outside_base, too_many_redirects, too_large, unsupported_type, too_many_pixels, invalid_image)',
      labelNames: ['reason'] as const,
      registers,
    }),
    storageErrors: new Counter({
      name: 'imgedge_storage_errors_total',
      help: 'Failed originals storage operations by backend and operation',
      labelNames: ['backend', 'operation'] as const,
      registers,
    }),
    databaseDuration: new Histogram({
      name: 'imgedge_database_query_duration_seconds',
      help: 'Duration of database statements (queries and health pings), failed ones included',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    databaseErrors: new Counter({
      name: 'imgedge_database_errors_total',
      help: 'Failed database statements, transaction starts and commits, by SQLSTATE class (08 connection, 23 constraint, 40 rollback, 57 cancelled or shut down; none: no answer from the server)',
      labelNames: ['sqlstate_class'] as const,
      registers,
    }),
    healthStatus: new Gauge({
      name: 'imgedge_health_check_status',
      help: 'Result of the last /health run per check, as a state set: 1 for the current status (ok, degraded, fail), 0 for the others',
      labelNames: ['check', 'status'] as const,
      registers,
    }),
    healthDuration: new Gauge({
      name: 'imgedge_health_check_duration_seconds',
      help: 'Latency of each check in the last /health run',
      labelNames: ['check'] as const,
      registers,
    }),
    memoryLimit: new Gauge({
      name: 'imgedge_memory_limit_bytes',
      help: 'Memory limit of the container (cgroup v2 memory.max, else cgroup v1 memory.limit_in_bytes); +Inf when unlimited or unknown',
      registers,
      async collect() {
        this.set(await readMemoryLimit());
      },
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
