/**
 * The cache of originals in front of a remote OriginalStore (the S3 backend): reads go through
 * the in-memory ByteCache (byte-cache.ts: LRU by bytes, one fetch per original at a time, a delete
 * drops it), which the mezzanine levels share (ORIGINAL_CACHE_BYTES). An original deleted by
 * another replica is unreachable here anyway (its image id is gone and its variants invalidated).
 * Every other operation delegates.
 */
import type { ByteCache } from './byte-cache.js';
import { type OriginalStore, originalKey } from './originals.js';

export class CachedOriginalStore implements OriginalStore {
  readonly backend;

  constructor(
    private readonly store: OriginalStore,
    private readonly cache: ByteCache,
  ) {
    this.backend = store.backend;
  }

  /** Bytes held by the cache (originals and whatever shares it). */
  get size(): number {
    return this.cache.size;
  }

  /** Whether an original is held (does not touch its recency). */
  has(sha256: string): boolean {
    return this.cache.has(originalKey(sha256));
  }

  init(): Promise<void> {
    return this.store.init();
  }

  tempPath(): string {
    return this.store.tempPath();
  }

  commit(tempPath: string, sha256: string): Promise<void> {
    return this.store.commit(tempPath, sha256);
  }

  /** Always asks the store: another replica may have deleted the object this one still holds. */
  exists(sha256: string): Promise<boolean> {
    return this.store.exists(sha256);
  }

  read(sha256: string): Promise<Buffer | undefined> {
    return this.cache.read(originalKey(sha256), 'original', () => this.store.read(sha256));
  }

  remove(sha256: string): Promise<void> {
    return this.cache.remove([originalKey(sha256)], () => this.store.remove(sha256));
  }

  list(): AsyncIterable<string> {
    return this.store.list();
  }

  probe(): Promise<void> {
    return this.store.probe();
  }
}
