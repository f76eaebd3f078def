/** The S3 client of the origin, built from the S3_* settings (R2, MinIO, AWS S3 or any S3-compatible store). */
import { S3Client } from '@aws-sdk/client-s3';
import type { S3Config } from '../config/load.js';

export function createS3Client(config: S3Config): S3Client {
  return new S3Client({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    forcePathStyle: config.forcePathStyle,
    // Unset: the SDK's default chain (environment, shared files, instance/container roles).
    ...(config.credentials ? { credentials: config.credentials } : {}),
    // We send ChecksumSHA256 ourselves where it matters; no automatic CRC32 on every request,
    // which several S3-compatible stores do not accept.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 60_000 },
  });
}
