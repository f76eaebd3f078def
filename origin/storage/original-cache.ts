/**
 * A read-through cache of originals in front of a remote OriginalStore (the S3 backend): a
 * responsive page asks for many widths and formats of one image, and each cold variant would
 * otherwise fetch the whole original from the bucket again. Originals are content-addressed and
 * immutable, so an entry is never stale: `remove()` evicts it, and an original deleted by another
 * replica is unreachable here anyway (its image id is gone and its variants invalidated).
 *
 * In memory, LRU bounded by the total bytes held (ORIGINAL_CACHE_BYTES); an original larger than
 * the bound is passed through uncached. Concurrent reads of one sha256 share a single fetch. A
 * missing original (`undefined`) and failures are not cached. Every other operation delegates.
 * Callers get the cached Buffer itself: they must not modify it (sharp only reads its input).
 */
import type { Metrics } from '../observability/metrics.js';
import type { OriginalStore } from './originals.js';

export interface OriginalCacheOptions {
  /** Total bytes of originals held; must be > 0. */
  maxBytes: number;
  metrics?: Metrics;
}

export class CachedOriginalStore implements OriginalStore {
  readonly backend;
  private readonly maxBytes: number;
  private readonly metrics: Metrics | undefined;
  /** Cached originals, least recently used first (Map keeps insertion order). */
  private readonly entries = new Map<string, Buffer>();
  /** Fetches under way, shared by concurrent readers of the same sha256. */
  private readonly inflight = new Map<string, Promise<Buffer | undefined>>();
  /** Originals being removed (a count per sha256): reads meanwhile go to the store, uncached. */
  private readonly removing = new Map<string, number>();
  private bytes = 0;

  constructor(
    private readonly store: OriginalStore,
    options: OriginalCacheOptions,
  ) {
    if (!(options.maxBytes > 0)) throw new Error('CachedOriginalStore needs maxBytes > 0');
    this.backend = store.backend;
    this.maxBytes = options.maxBytes;
    this.metrics = options.metrics;
  }

  /** Bytes currently held. */
  get size(): number {
    return this.bytes;
  }

  /** Whether an original is held (does not touch its recency). */
  has(sha256: string): boolean {
    return this.entries.has(sha256);
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

  async read(sha256: string): Promise<Buffer | undefined> {
    const cached = this.entries.get(sha256);
    if (cached) {
      // Most recently used: move to the end.
      this.entries.delete(sha256);
      this.entries.set(sha256, cached);
      this.count('hit');
      return cached;
    }
    if (this.removing.has(sha256)) {
      this.count('miss');
      return this.store.read(sha256);
    }
    const pending = this.inflight.get(sha256);
    if (pending) {
      this.count('shared');
      return pending;
    }
    this.count('miss');
    const fetch = this.store.read(sha256).then(
      (bytes) => {
        // Only the fetch still registered fills the cache: a remove() meanwhile dropped it.
        if (this.inflight.get(sha256) === fetch) {
          this.inflight.delete(sha256);
          if (bytes) this.add(sha256, bytes);
        }
        return bytes;
      },
      (err: unknown) => {
        if (this.inflight.get(sha256) === fetch) this.inflight.delete(sha256);
        throw err;
      },
    );
    this.inflight.set(sha256, fetch);
    return fetch;
  }

  async remove(sha256: string): Promise<void> {
    this.evict(sha256);
    // A read under way must not put the bytes back (it only fills the cache while registered).
    this.inflight.delete(sha256);
    this.removing.set(sha256, (this.removing.get(sha256) ?? 0) + 1);
    try {
      await this.store.remove(sha256);
    } finally {
      const left = this.removing.get(sha256)! - 1;
      if (left > 0) this.removing.set(sha256, left);
      else this.removing.delete(sha256);
    }
  }

  list(): AsyncIterable<string> {
    return this.store.list();
  }

  probe(): Promise<void> {
    return this.store.probe();
  }

  private add(sha256: string, bytes: Buffer): void {
    if (bytes.length > this.maxBytes) return;
    this.evict(sha256);
    this.entries.set(sha256, bytes);
    this.bytes += bytes.length;
    for (const [oldest, held] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= held.length;
      this.count('eviction');
    }
    this.metrics?.originalCacheBytes.set(this.bytes);
  }

  private evict(sha256: string): void {
    const held = this.entries.get(sha256);
    if (!held) return;
    this.entries.delete(sha256);
    this.bytes -= held.length;
    this.metrics?.originalCacheBytes.set(this.bytes);
  }

  private count(event: 'hit' | 'miss' | 'shared' | 'eviction'): void {
    this.metrics?.originalCache.inc({ event });
  }
}
