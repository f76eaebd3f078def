/**
 * Where originals live: one interface, two backends — the local folder (LocalOriginalStore, the
 * default) and an S3-compatible bucket (S3OriginalStore, when S3_BUCKET is set). Originals are
 * content-addressed (`originals/ab/cd/<sha256>` under the backend's root), so the same bytes are
 * stored once. Upload temp files are always local (see TempArea); `commit` publishes one only
 * after every check passed, and returns only once the store holds the whole object.
 */
import { ImgedgeError } from '../../shared/errors.js';

export type StorageBackend = 'local' | 's3';

export interface OriginalStore {
  readonly backend: StorageBackend;
  /** Create the local folders and clear temp files a crash may have left behind. */
  init(): Promise<void>;
  /** A fresh local path for an upload's temp file. */
  tempPath(): string;
  /** Store a complete temp file under its content address, then drop the temp file. Same bytes already stored: just drop it. */
  commit(tempPath: string, sha256: string): Promise<void>;
  exists(sha256: string): Promise<boolean>;
  /** The original's bytes, or undefined when no such object exists. */
  read(sha256: string): Promise<Buffer | undefined>;
  /** Remove an original (no-op when absent). */
  remove(sha256: string): Promise<void>;
  /** The sha256 of every stored original. */
  list(): AsyncIterable<string>;
  /** Health probe: write, read back and delete a small object. */
  probe(): Promise<void>;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The content address of an original, relative to the store's root: `originals/ab/cd/<sha256>`. */
export function originalKey(sha256: string): string {
  if (!SHA256_HEX.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
  return `originals/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
}

/**
 * The object store failed or could not be reached: a 503 `storage_unavailable` to clients (who
 * may retry), with the operation and the store's own message kept in `reason` for logs and /health.
 */
export class StorageUnavailableError extends ImgedgeError {
  constructor(
    readonly reason: string,
    cause?: unknown,
  ) {
    super('storage_unavailable', 'The image store is unavailable; try again later', {
      cause,
      headers: { 'retry-after': '5' },
    });
  }
}

/** A one-line account of a storage failure (the store's reason when it gave one). */
export function storageFailureMessage(err: unknown): string {
  if (err instanceof StorageUnavailableError) return err.reason;
  return err instanceof Error ? err.message : String(err);
}
