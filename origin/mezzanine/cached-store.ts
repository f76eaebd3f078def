/**
 * Mezzanine levels read from the bucket, held in the in-memory cache the originals share
 * (storage/byte-cache.ts, ORIGINAL_CACHE_BYTES): every cold variant of an image reads a level, and
 * a level is bigger than the original (2.3 MB at 1024 px for a 12 MP photo, 9 MB at 2048), so
 * without it each would be a GetObject of megabytes. A level this replica stores is held at once
 * (the variants that follow a make read it). Levels are content-addressed and immutable: only
 * remove() drops them.
 */
import type { ByteCache } from '../storage/byte-cache.js';
import { MEZZANINE_LEVELS, type MezzanineLevelName } from './policy.js';
import { type MezzanineStore, mezzanineKey } from './store.js';

export class CachedMezzanineStore implements MezzanineStore {
  constructor(
    private readonly store: MezzanineStore,
    private readonly cache: ByteCache,
  ) {}

  get(sha256: string, level: MezzanineLevelName): Promise<Buffer | undefined> {
    return this.cache.read(mezzanineKey(sha256, level), 'mezzanine', () => this.store.get(sha256, level));
  }

  has(sha256: string, level: MezzanineLevelName): Promise<boolean> {
    // Held means stored (nothing is held that the store did not have or take).
    if (this.cache.has(mezzanineKey(sha256, level))) return Promise.resolve(true);
    return this.store.has(sha256, level);
  }

  async put(sha256: string, level: MezzanineLevelName, data: Buffer): Promise<void> {
    await this.store.put(sha256, level, data);
    this.cache.keep(mezzanineKey(sha256, level), 'mezzanine', data);
  }

  remove(sha256: string): Promise<void> {
    const keys = MEZZANINE_LEVELS.map((level) => mezzanineKey(sha256, level));
    return this.cache.remove(keys, () => this.store.remove(sha256));
  }
}
