/**
 * Where mezzanines live: beside the originals, content-addressed by the original's sha256, the
 * mezzanine version and the level — UPLOAD_DIR/mezzanines/v<N>/ab/cd/<sha256>.<level> locally,
 * `${S3_PREFIX}mezzanines/v<N>/ab/cd/<sha256>.<level>` in the bucket. The key alone says whether
 * one exists: no database state, so every replica sees the same thing. A write is durable before it
 * is visible (local: fsync + rename; S3: one PutObject with the bytes' SHA-256 verified by the
 * store). Missing is `undefined`; a failing store is StorageUnavailableError. remove() also deletes
 * the levels of retired versions (policy.ts), which nothing reads any more.
 */
import { createHash, randomUUID } from 'node:crypto';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { renameDurable } from '../storage/fs-atomic.js';
import { originalKey, StorageUnavailableError } from '../storage/originals.js';
import {
  MEZZANINE_LEVELS,
  MEZZANINE_VERSION,
  type MezzanineLevelName,
  RETIRED_MEZZANINE_VERSIONS,
} from './policy.js';

export interface MezzanineStore {
  get(sha256: string, level: MezzanineLevelName): Promise<Buffer | undefined>;
  has(sha256: string, level: MezzanineLevelName): Promise<boolean>;
  put(sha256: string, level: MezzanineLevelName, data: Buffer): Promise<void>;
  /** Every level, of this version and the retired ones; no-op for those absent. */
  remove(sha256: string): Promise<void>;
}

/** `mezzanines/v<N>/ab/cd/<sha256>.<level>`: the original's address, in the mezzanines' folder. */
export function mezzanineKey(sha256: string, level: MezzanineLevelName, version = MEZZANINE_VERSION): string {
  return `mezzanines/v${version}/${originalKey(sha256).slice('originals/'.length)}.${level}`;
}

/** The keys remove() deletes: every level of the current and the retired versions. */
export function allMezzanineKeys(sha256: string): string[] {
  return [MEZZANINE_VERSION, ...RETIRED_MEZZANINE_VERSIONS].flatMap((version) =>
    MEZZANINE_LEVELS.map((level) => mezzanineKey(sha256, level, version)),
  );
}

export class LocalMezzanineStore implements MezzanineStore {
  constructor(readonly dir: string) {}

  pathFor(sha256: string, level: MezzanineLevelName): string {
    return join(this.dir, mezzanineKey(sha256, level));
  }

  async get(sha256: string, level: MezzanineLevelName): Promise<Buffer | undefined> {
    try {
      return await readFile(this.pathFor(sha256, level));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async has(sha256: string, level: MezzanineLevelName): Promise<boolean> {
    try {
      await access(this.pathFor(sha256, level));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async put(sha256: string, level: MezzanineLevelName, data: Buffer): Promise<void> {
    const path = this.pathFor(sha256, level);
    await mkdir(dirname(path), { recursive: true });
    const temp = join(dirname(path), `.${randomUUID()}.tmp`);
    try {
      await writeFile(temp, data, { flush: true });
      await renameDurable(temp, path);
    } finally {
      await rm(temp, { force: true });
    }
  }

  async remove(sha256: string): Promise<void> {
    for (const key of allMezzanineKeys(sha256)) await rm(join(this.dir, key), { force: true });
  }
}

export interface S3MezzanineStoreOptions {
  client: S3Client;
  bucket: string;
  /** S3_PREFIX, empty or ending in `/`. */
  prefix: string;
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

export class S3MezzanineStore implements MezzanineStore {
  constructor(private readonly options: S3MezzanineStoreOptions) {}

  keyFor(sha256: string, level: MezzanineLevelName): string {
    return `${this.options.prefix}${mezzanineKey(sha256, level)}`;
  }

  private failed(operation: string, key: string, err: unknown): StorageUnavailableError {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return new StorageUnavailableError(`S3 ${operation} ${this.options.bucket}/${key}: ${message}`, err);
  }

  async get(sha256: string, level: MezzanineLevelName): Promise<Buffer | undefined> {
    const key = this.keyFor(sha256, level);
    try {
      const res = await this.options.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: key }),
      );
      if (!res.Body) throw new Error('GetObject answered without a body');
      return Buffer.from(await res.Body.transformToByteArray());
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.failed('GetObject', key, err);
    }
  }

  async has(sha256: string, level: MezzanineLevelName): Promise<boolean> {
    const key = this.keyFor(sha256, level);
    try {
      await this.options.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw this.failed('HeadObject', key, err);
    }
  }

  async put(sha256: string, level: MezzanineLevelName, data: Buffer): Promise<void> {
    const key = this.keyFor(sha256, level);
    try {
      await this.options.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: data,
          ContentLength: data.byteLength,
          ContentType: 'application/octet-stream',
          ChecksumSHA256: createHash('sha256').update(data).digest('base64'),
        }),
      );
    } catch (err) {
      throw this.failed('PutObject', key, err);
    }
  }

  async remove(sha256: string): Promise<void> {
    for (const key of allMezzanineKeys(sha256).map((k) => `${this.options.prefix}${k}`)) {
      try {
        await this.options.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }));
      } catch (err) {
        throw this.failed('DeleteObject', key, err);
      }
    }
  }
}
