/** The stores the configuration asks for: S3 when S3_BUCKET is set, else the local UPLOAD_DIR (and no tier 2). */
import { join } from 'node:path';
import type { Config } from '../config/load.js';
import type { Metrics } from '../observability/metrics.js';
import { ByteCache } from './byte-cache.js';
import { LocalOriginalStore } from './local.js';
import { measuredStore } from './measured.js';
import { CachedOriginalStore } from './original-cache.js';
import type { OriginalStore } from './originals.js';
import { S3OriginalStore } from './s3.js';
import { createS3Client } from './s3-client.js';
import { S3VariantStore, type VariantStore } from './variant-store.js';

/**
 * The in-memory cache of what transforms read from the bucket (originals and mezzanine levels:
 * byte-cache.ts): with S3_BUCKET and ORIGINAL_CACHE_BYTES > 0, else none (local files are read
 * through the OS page cache).
 */
export function createSourceCache(
  config: Pick<Config, 's3' | 'originalCacheBytes'>,
  metrics?: Metrics,
): ByteCache | undefined {
  if (!config.s3 || config.originalCacheBytes <= 0) return undefined;
  return new ByteCache({ maxBytes: config.originalCacheBytes, metrics });
}

/**
 * The originals store. With `metrics`, every backend operation is measured; with S3, reads go
 * through `cache` (createSourceCache's by default), in front of the measured store, so the storage
 * `get` metric counts only real bucket reads.
 */
export function createOriginalStore(
  config: Pick<Config, 'uploadDir' | 's3' | 'originalCacheBytes'>,
  metrics?: Metrics,
  cache: ByteCache | undefined = createSourceCache(config, metrics),
): OriginalStore {
  const measured = (store: OriginalStore) => (metrics ? measuredStore(store, metrics) : store);
  if (!config.s3) return measured(new LocalOriginalStore(config.uploadDir));
  const bucket = measured(
    new S3OriginalStore({
      client: createS3Client(config.s3),
      bucket: config.s3.bucket,
      prefix: config.s3.prefix,
      // Uploads are still received and checked locally.
      tempDir: join(config.uploadDir, '.tmp'),
    }),
  );
  return cache ? new CachedOriginalStore(bucket, cache) : bucket;
}

/** Tier 2 of the variant cache: in the same bucket when S3_BUCKET is set, else none. */
export function createVariantStore(config: Pick<Config, 's3'>): VariantStore | undefined {
  if (!config.s3) return undefined;
  return new S3VariantStore({
    client: createS3Client(config.s3),
    bucket: config.s3.bucket,
    prefix: config.s3.prefix,
  });
}
