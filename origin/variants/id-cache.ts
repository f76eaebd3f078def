/**
 * id → what a variant needs of a live image (its sha256, and its stored focal point), kept briefly
 * in memory so that a variant request (warm or cold) does not query the database every time.
 * Entries expire after `ttlMs`; a delete or a focal change through this process forgets its entry
 * at once. Another replica may serve a deleted id (or the old focal point) for at most `ttlMs`
 * — from its variant cache, or as a 404 once the original is gone. `ttlMs` may be a function,
 * read at each set: with coordination it is long while deletes reach every replica, short when not
 * (see coordination/invalidation.ts).
 */
export class ImageIdCache<V = string> {
  private readonly entries = new Map<string, { value: V; expires: number }>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly ttlMs: number | (() => number) = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(id: string): V | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.entries.delete(id);
      return undefined;
    }
    return entry.value;
  }

  set(id: string, value: V): void {
    this.entries.delete(id);
    this.entries.set(id, {
      value,
      expires: this.now() + (typeof this.ttlMs === 'number' ? this.ttlMs : this.ttlMs()),
    });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  /** The cached value of `id` (expired or not), dropped. */
  forget(id: string): V | undefined {
    const value = this.entries.get(id)?.value;
    this.entries.delete(id);
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}
