/**
 * The in-memory cache of what transforms read from the bucket (ORIGINAL_CACHE_BYTES): originals
 * (original-cache.ts) and mezzanine levels (mezzanine/cached-store.ts), under their bucket keys,
 * in one budget. A responsive page asks for many widths and formats of one image; without it each
 * cold variant would fetch its source again (2.3 MB for the 1024 px level of a 12 MP photo, 9 MB
 * for the 2048 px one). Everything held is content-addressed and immutable, so an entry is never
 * stale: only a delete drops it.
 *
 * LRU bounded by the total bytes held; an object larger than the bound is passed through uncached.
 * Concurrent reads of one key share a single fetch. A missing object (`undefined`) and failures are
 * not cached. While a key is being removed, reads go to the store and nothing fills it back in.
 * Callers get the cached Buffer itself: they must not modify it (sharp only reads its input).
 */
import type { Metrics } from '../observability/metrics.js';

/** What is held: the label of `imgedge_original_cache_total`. */
export type CachedKind = 'original' | 'mezzanine';

export interface ByteCacheOptions {
  /** Total bytes held; must be > 0. */
  maxBytes: number;
  metrics?: Metrics;
}

export class ByteCache {
  private readonly maxBytes: number;
  private readonly metrics: Metrics | undefined;
  /** Held objects, least recently used first (Map keeps insertion order). */
  private readonly entries = new Map<string, { bytes: Buffer; kind: CachedKind }>();
  /** Fetches under way, shared by concurrent readers of the same key. */
  private readonly inflight = new Map<string, Promise<Buffer | undefined>>();
  /** Keys being removed (a count per key): reads meanwhile go to the store, uncached. */
  private readonly removing = new Map<string, number>();
  private bytes = 0;

  constructor(options: ByteCacheOptions) {
    if (!(options.maxBytes > 0)) throw new Error('ByteCache needs maxBytes > 0');
    this.maxBytes = options.maxBytes;
    this.metrics = options.metrics;
  }

  /** Bytes currently held. */
  get size(): number {
    return this.bytes;
  }

  /** Whether a key is held (does not touch its recency). */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The held bytes of `key`, else `fetch()`'s (kept when found). */
  read(key: string, kind: CachedKind, fetch: () => Promise<Buffer | undefined>): Promise<Buffer | undefined> {
    const held = this.entries.get(key);
    if (held) {
      // Most recently used: move to the end.
      this.entries.delete(key);
      this.entries.set(key, held);
      this.count('hit', kind);
      return Promise.resolve(held.bytes);
    }
    if (this.removing.has(key)) {
      this.count('miss', kind);
      return fetch();
    }
    const pending = this.inflight.get(key);
    if (pending) {
      this.count('shared', kind);
      return pending;
    }
    this.count('miss', kind);
    const fetching = fetch().then(
      (bytes) => {
        // Only the fetch still registered fills the cache: a remove() meanwhile dropped it.
        if (this.inflight.get(key) === fetching) {
          this.inflight.delete(key);
          if (bytes) this.add(key, kind, bytes);
        }
        return bytes;
      },
      (err: unknown) => {
        if (this.inflight.get(key) === fetching) this.inflight.delete(key);
        throw err;
      },
    );
    this.inflight.set(key, fetching);
    return fetching;
  }

  /** Hold bytes just written to the store (not while the key is being removed). */
  keep(key: string, kind: CachedKind, bytes: Buffer): void {
    if (!this.removing.has(key)) this.add(key, kind, bytes);
  }

  /**
   * Drop `keys` and run `removeFromStore`; until it settles, reads of them go to the store and a
   * read already under way does not put its bytes back.
   */
  async remove(keys: readonly string[], removeFromStore: () => Promise<void>): Promise<void> {
    for (const key of keys) {
      this.evict(key);
      this.inflight.delete(key);
      this.removing.set(key, (this.removing.get(key) ?? 0) + 1);
    }
    try {
      await removeFromStore();
    } finally {
      for (const key of keys) {
        const left = (this.removing.get(key) ?? 1) - 1;
        if (left > 0) this.removing.set(key, left);
        else this.removing.delete(key);
      }
    }
  }

  private add(key: string, kind: CachedKind, bytes: Buffer): void {
    if (bytes.length > this.maxBytes) return;
    this.evict(key);
    this.entries.set(key, { bytes, kind });
    this.bytes += bytes.length;
    for (const [oldest, held] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= held.bytes.length;
      this.count('eviction', held.kind);
    }
    this.metrics?.originalCacheBytes.set(this.bytes);
  }

  private evict(key: string): void {
    const held = this.entries.get(key);
    if (!held) return;
    this.entries.delete(key);
    this.bytes -= held.bytes.length;
    this.metrics?.originalCacheBytes.set(this.bytes);
  }

  private count(event: 'hit' | 'miss' | 'shared' | 'eviction', kind: CachedKind): void {
    this.metrics?.originalCache.inc({ event, kind });
  }
}
