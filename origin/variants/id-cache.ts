/**
 * id → sha256 of live images, kept briefly in memory so that a variant request (warm or cold)
 * does not query the database every time. Entries expire after `ttlMs`; a delete through this
 * process forgets its entry at once. Another replica may serve a deleted id for at most `ttlMs`
 * — from its variant cache, or as a 404 once the original is gone. `ttlMs` may be a function,
 * read at each set: with coordination it is long while deletes reach every replica, short when not
 * (see coordination/invalidation.ts).
 */
export class ImageIdCache {
  private readonly entries = new Map<string, { sha256: string; expires: number }>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly ttlMs: number | (() => number) = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(id: string): string | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.entries.delete(id);
      return undefined;
    }
    return entry.sha256;
  }

  set(id: string, sha256: string): void {
    this.entries.delete(id);
    this.entries.set(id, {
      sha256,
      expires: this.now() + (typeof this.ttlMs === 'number' ? this.ttlMs : this.ttlMs()),
    });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  /** The cached sha256 of `id` (expired or not), dropped. */
  forget(id: string): string | undefined {
    const sha256 = this.entries.get(id)?.sha256;
    this.entries.delete(id);
    return sha256;
  }

  clear(): void {
    this.entries.clear();
  }
}
