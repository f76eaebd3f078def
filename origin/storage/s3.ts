/**
 * Originals in an S3-compatible bucket, content-addressed: `${S3_PREFIX}originals/ab/cd/<sha256>`.
 * Every put carries the SHA-256 of the bytes so the store verifies them: one PutObject with
 * ChecksumSHA256 (the whole object) up to `multipartThreshold`, above it a streamed multipart
 * upload (lib-storage) with a SHA-256 per part and the whole sha256 in the object's metadata.
 * `commit` resolves only once the store confirmed the object. Failures are StorageUnavailableError
 * (503 storage_unavailable); a missing object is `undefined`/`false`, not an error.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type OriginalStore, originalKey, StorageUnavailableError } from './originals.js';
import { TempArea } from './temp-area.js';

export interface S3StoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix, empty or ending in `/`. */
  prefix: string;
  /** Local folder for upload temp files. */
  tempDir: string;
  /** Files larger than this go up as multipart (default 16 MiB). */
  multipartThreshold?: number;
  /** Multipart part size (default 8 MiB; S3's minimum is 5 MiB). */
  partSize?: number;
}

const ORIGINALS = 'originals/';

/** Errors that mean "no such object" rather than a failing store. */
function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: string }).code;
  const message = err.message || code || err.name;
  return (
    err.name && err.name !== 'Error' && !message.startsWith(err.name) ? `${err.name}: ${message}` : message
  ).split('\n')[0]!;
}

export class S3OriginalStore implements OriginalStore {
  readonly backend = 's3' as const;
  readonly temp: TempArea;
  private readonly client: S3Client;
  private readonly multipartThreshold: number;
  private readonly partSize: number;

  constructor(readonly options: S3StoreOptions) {
    this.client = options.client;
    this.temp = new TempArea(options.tempDir);
    this.multipartThreshold = options.multipartThreshold ?? 16 * 1024 * 1024;
    this.partSize = options.partSize ?? 8 * 1024 * 1024;
  }

  get bucket(): string {
    return this.options.bucket;
  }

  /** The object key of an original. */
  keyFor(sha256: string): string {
    return `${this.options.prefix}${originalKey(sha256)}`;
  }

  private async call<T>(operation: string, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new StorageUnavailableError(`S3 ${operation} ${this.bucket}/${key}: ${describe(err)}`, err);
    }
  }

  /** The local temp folder (the bucket is checked by the start-up probe, see runtime.ts). */
  init(): Promise<void> {
    return this.temp.init();
  }

  tempPath(): string {
    return this.temp.path();
  }

  async commit(tempPath: string, sha256: string): Promise<void> {
    const key = this.keyFor(sha256);
    if (!(await this.exists(sha256))) {
      const { size } = await stat(tempPath);
      if (size <= this.multipartThreshold) {
        await this.call('PutObject', key, () =>
          this.client.send(
            new PutObjectCommand({
              Bucket: this.bucket,
              Key: key,
              Body: createReadStream(tempPath),
              ContentLength: size,
              ContentType: 'application/octet-stream',
              ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
            }),
          ),
        );
      } else {
        await this.call('multipart upload', key, () =>
          new Upload({
            client: this.client,
            partSize: this.partSize,
            queueSize: 4,
            leavePartsOnError: false,
            params: {
              Bucket: this.bucket,
              Key: key,
              Body: createReadStream(tempPath),
              ContentType: 'application/octet-stream',
              ChecksumAlgorithm: 'SHA256',
              Metadata: { sha256 },
            },
          }).done(),
        );
      }
    }
    await rm(tempPath, { force: true });
  }

  async exists(sha256: string): Promise<boolean> {
    const key = this.keyFor(sha256);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw new StorageUnavailableError(`S3 HeadObject ${this.bucket}/${key}: ${describe(err)}`, err);
    }
  }

  async read(sha256: string): Promise<Buffer | undefined> {
    return this.getObject(this.keyFor(sha256));
  }

  private async getObject(key: string): Promise<Buffer | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!res.Body) throw new Error('GetObject answered without a body');
      return Buffer.from(await res.Body.transformToByteArray());
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new StorageUnavailableError(`S3 GetObject ${this.bucket}/${key}: ${describe(err)}`, err);
    }
  }

  async remove(sha256: string): Promise<void> {
    const key = this.keyFor(sha256);
    await this.call('DeleteObject', key, () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })),
    );
  }

  async *list(): AsyncIterable<string> {
    const prefix = `${this.options.prefix}${ORIGINALS}`;
    let token: string | undefined;
    do {
      const page = await this.call('ListObjectsV2', prefix, () =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
        ),
      );
      for (const object of page.Contents ?? []) {
        const sha = object.Key?.split('/').pop();
        if (sha && /^[0-9a-f]{64}$/.test(sha)) yield sha;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async probe(): Promise<void> {
    const key = `${this.options.prefix}health/probe-${randomUUID()}`;
    const payload = randomUUID();
    await this.call('PutObject', key, () =>
      this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: payload })),
    );
    try {
      const back = await this.getObject(key);
      if (back?.toString('utf8') !== payload)
        throw new StorageUnavailableError(`S3 probe ${this.bucket}/${key}: read back different bytes`);
    } finally {
      await this.call('DeleteObject', key, () =>
        this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })),
      );
    }
  }
}
