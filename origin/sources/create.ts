/** Remote sources' parts, from the config: the SSRF-safe fetcher and the cache in front of it. */

import { formatSourceRef } from '../../shared/sources/index.js';
import type { Config } from '../config/load.js';
import type { Coordination } from '../coordination/coordination.js';
import { ReplicaSingleFlight } from '../coordination/replica-single-flight.js';
import type { Db } from '../db/driver.js';
import type { ReleaseDeps } from '../images/release.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { OriginalStore } from '../storage/originals.js';
import type { VariantStore } from '../storage/variant-store.js';
import { inspectImage } from '../uploads/inspect.js';
import type { VariantCache } from '../variants/disk-cache.js';
import type { VariantService } from '../variants/service.js';
import type { WorkPool } from '../variants/work-pool.js';
import { addressPolicy } from './address-policy.js';
import { SourceFetcher } from './fetch-source.js';
import { SourceCache, type SourceEntry } from './source-cache.js';

export interface SourceParts {
  db: Db;
  originals: OriginalStore;
  variantCache: VariantCache;
  variantStore: VariantStore | undefined;
  variantService: VariantService;
  pool: WorkPool;
  metrics: Metrics;
  coordination: Coordination | undefined;
  /** A released original's mezzanine goes with it (an upload may share a source's bytes). */
  mezzanines?: ReleaseDeps['mezzanines'];
}

/**
 * Remote sources (SOURCES): the SSRF-safe fetcher and the cache in front of it. Single-flight per
 * source path across replicas with coordination; SOURCES_ALLOW_PRIVATE_NETWORKS is said out loud.
 */
export function createSources(
  config: Config,
  logger: Logger,
  parts: SourceParts,
): { cache: SourceCache; fetcher: SourceFetcher } {
  const { sources } = config;
  if (sources.allowPrivateNetworks) {
    logger.warn(
      { variable: 'SOURCES_ALLOW_PRIVATE_NETWORKS', sources: [...sources.bases.keys()] },
      'DANGEROUS: SOURCES_ALLOW_PRIVATE_NETWORKS is on — remote source fetches may reach loopback, private, link-local and CGNAT addresses (for tests and trusted networks only)',
    );
  }
  if (sources.bases.size > 0)
    logger.info({ sources: Object.fromEntries(sources.bases) }, 'remote sources configured');
  const fetcher = new SourceFetcher({
    sources: sources.bases,
    policy: addressPolicy({ allowPrivateNetworks: sources.allowPrivateNetworks }),
    connectTimeoutMs: sources.connectTimeoutMs,
    timeoutMs: sources.timeoutMs,
    maxBytes: config.maxFileSize,
    tempPath: () => parts.originals.tempPath(),
    inspect: (file) =>
      inspectImage(file, {
        pool: parts.pool,
        maxInputPixels: config.maxInputPixels,
        maxAnimationFrames: config.maxAnimationFrames,
      }),
  });
  const waitTimeoutMs = sources.timeoutMs + config.transform.timeoutMs + 15_000;
  const cache = new SourceCache({
    db: parts.db,
    sources: sources.bases,
    fetcher,
    metrics: parts.metrics,
    originals: parts.originals,
    variantCache: parts.variantCache,
    variantStore: parts.variantStore,
    mezzanines: parts.mezzanines,
    ttlSeconds: sources.ttlSeconds,
    notFoundTtlSeconds: sources.notFoundTtlSeconds,
    flight:
      parts.coordination?.singleFlight<SourceEntry>({ waitTimeoutMs }) ??
      new ReplicaSingleFlight<SourceEntry>(undefined, undefined),
    // A source's ref stands in for an image id: no id starts with @, so only the bytes are dropped.
    onRemoved: (ref, sha256) => parts.variantService.forget(formatSourceRef(ref), sha256),
  });
  return { cache, fetcher };
}
