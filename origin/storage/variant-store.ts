/**
 * Tier 2 of the variant cache: variants in the originals' bucket, shared by every replica and kept
 * across restarts, at `${S3_PREFIX}variants/<source sha256>/<canonical options or _>/<requested>`
 * (`requested` = the format the edge asked for: the explicit format, or the f=auto capability
 * class). The produced format and the pipeline version ride in the object's metadata; an object
 * made by another pipeline version is a miss, and so is one of another revision (a watermark's, the
 * mezzanine's: metadata `revision`; the key stays the edge's cache key, the object is replaced). All of a source's variants share the prefix
 * `variants/<sha>/`, so a delete lists and removes them with it — and the listing names every
 * variant any replica made, for the edge's eviction.
 *
 * Failures are StorageUnavailableError; a missing object is `undefined`.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { PIPELINE_VERSION, type RequestedVariant } from '../variants/disk-cache.js';
import { StorageUnavailableError } from './originals.js';

export interface StoredVariant {
  data: Buffer;
  /** The format actually produced (for f=auto, one of the class's formats). */
  format: string;
}

/** Where a replica finds, keeps and drops variants made by any replica. */
export interface VariantStore {
  /**
   * `revision`: what the variant depends on beyond source and options (a watermark's, see
   * watermarks/library.ts; the mezzanine's, see variants/service.ts), '' for none; another is a miss.
   */
  get(
    sha256: string,
    canonical: string,
    requested: string,
    revision?: string,
  ): Promise<StoredVariant | undefined>;
  put(
    sha256: string,
    canonical: string,
    requested: string,
    data: Uint8Array,
    format: string,
    revision?: string,
  ): Promise<void>;
  /** Every variant stored for a source. */
  list(sha256: string): Promise<RequestedVariant[]>;
  /** Drop every variant of a source (its image was deleted). */
  removeSource(sha256: string): Promise<void>;
}

export interface S3VariantStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix, empty or ending in `/` (S3_PREFIX, shared with the originals). */
  prefix: string;
}

/** The canonical of "no options" is empty; a key segment cannot be. */
const EMPTY = '_';

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

function describe(err: unknown): string {
  return (err instanceof Error ? err.message || err.name : String(err)).split('\n')[0]!;
}

export class S3VariantStore implements VariantStore {
  constructor(private readonly options: S3VariantStoreOptions) {}

  private sourcePrefix(sha256: string): string {
    return `${this.options.prefix}variants/${sha256}/`;
  }

  keyFor(sha256: string, canonical: string, requested: string): string {
    return `${this.sourcePrefix(sha256)}${canonical === '' ? EMPTY : canonical}/${requested}`;
  }

  private async call<T>(operation: string, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new StorageUnavailableError(
        `S3 ${operation} ${this.options.bucket}/${key}: ${describe(err)}`,
        err,
      );
    }
  }

  async get(
    sha256: string,
    canonical: string,
    requested: string,
    revision = '',
  ): Promise<StoredVariant | undefined> {
    const key = this.keyFor(sha256, canonical, requested);
    try {
      const res = await this.options.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: key }),
      );
      const format = res.Metadata?.format;
      if (!res.Body || !format || res.Metadata?.pipeline !== PIPELINE_VERSION) return undefined;
      if ((res.Metadata?.revision ?? '') !== revision) return undefined;
      return { data: Buffer.from(await res.Body.transformToByteArray()), format };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new StorageUnavailableError(`S3 GetObject ${this.options.bucket}/${key}: ${describe(err)}`, err);
    }
  }

  async put(
    sha256: string,
    canonical: string,
    requested: string,
    data: Uint8Array,
    format: string,
    revision = '',
  ): Promise<void> {
    const key = this.keyFor(sha256, canonical, requested);
    await this.call('PutObject', key, () =>
      this.options.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: data,
          ContentLength: data.byteLength,
          ContentType: 'application/octet-stream',
          Metadata: {
            format,
            pipeline: PIPELINE_VERSION,
            ...(revision === '' ? {} : { revision }),
          },
        }),
      ),
    );
  }

  private async keys(sha256: string): Promise<string[]> {
    const prefix = this.sourcePrefix(sha256);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.call('ListObjectsV2', prefix, () =>
        this.options.client.send(
          new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, ContinuationToken: token }),
        ),
      );
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async list(sha256: string): Promise<RequestedVariant[]> {
    const prefix = this.sourcePrefix(sha256);
    const out: RequestedVariant[] = [];
    for (const key of await this.keys(sha256)) {
      const [canonical, format, ...rest] = key.slice(prefix.length).split('/');
      if (!canonical || !format || rest.length > 0) continue;
      out.push({ canonical: canonical === EMPTY ? '' : canonical, format });
    }
    return out;
  }

  async removeSource(sha256: string): Promise<void> {
    // One DeleteObject per key: DeleteObjects needs a body checksum that not every S3-compatible
    // store accepts, and a source has few variants.
    for (const key of await this.keys(sha256)) {
      await this.call('DeleteObject', key, () =>
        this.options.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key })),
      );
    }
  }
}
