/** The originals store the configuration asks for: S3 when S3_BUCKET is set, else the local UPLOAD_DIR. */
import { join } from 'node:path';
import type { Config } from '../config/load.js';
import { LocalOriginalStore } from './local.js';
import type { OriginalStore } from './originals.js';
import { S3OriginalStore } from './s3.js';
import { createS3Client } from './s3-client.js';

export function createOriginalStore(config: Pick<Config, 'uploadDir' | 's3'>): OriginalStore {
  if (!config.s3) return new LocalOriginalStore(config.uploadDir);
  return new S3OriginalStore({
    client: createS3Client(config.s3),
    bucket: config.s3.bucket,
    prefix: config.s3.prefix,
    // Uploads are still received and checked locally.
    tempDir: join(config.uploadDir, '.tmp'),
  });
}
