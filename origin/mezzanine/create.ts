/** The mezzanine store the configuration asks for, beside the originals (storage/create.ts). */
import type { Config } from '../config/load.js';
import type { ByteCache } from '../storage/byte-cache.js';
import { createS3Client } from '../storage/s3-client.js';
import { CachedMezzanineStore } from './cached-store.js';
import { LocalMezzanineStore, type MezzanineStore, S3MezzanineStore } from './store.js';

/**
 * The bucket when S3_BUCKET is set, its reads through `cache` when given (the one the originals
 * share: storage/create.ts createSourceCache); else UPLOAD_DIR.
 */
export function createMezzanineStore(
  config: Pick<Config, 'uploadDir' | 's3'>,
  cache?: ByteCache,
): MezzanineStore {
  if (!config.s3) return new LocalMezzanineStore(config.uploadDir);
  const bucket = new S3MezzanineStore({
    client: createS3Client(config.s3),
    bucket: config.s3.bucket,
    prefix: config.s3.prefix,
  });
  return cache ? new CachedMezzanineStore(bucket, cache) : bucket;
}
