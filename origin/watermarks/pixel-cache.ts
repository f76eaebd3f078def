/**
 * An in-memory LRU of decoded pixels, bounded by the bytes it holds: a key's value is made once,
 * concurrent askers of one key share the making, and failures are not kept. A value larger than
 * the bound is handed out uncached.
 */
export interface Pixels {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

export class PixelCache {
  /** Least recently used first (Map keeps insertion order). */
  private readonly entries = new Map<string, Pixels>();
  private readonly making = new Map<string, Promise<Pixels>>();
  private held = 0;

  constructor(private readonly maxBytes: number) {}

  /** Bytes held. */
  get bytes(): number {
    return this.held;
  }

  get(key: string, make: () => Promise<Pixels>): Promise<Pixels> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return Promise.resolve(hit);
    }
    const pending = this.making.get(key);
    if (pending) return pending;
    const made = make()
      .then((pixels) => {
        this.keep(key, pixels);
        return pixels;
      })
      .finally(() => this.making.delete(key));
    this.making.set(key, made);
    return made;
  }

  private keep(key: string, pixels: Pixels): void {
    const size = pixels.data.byteLength;
    if (size > this.maxBytes) return;
    this.entries.set(key, pixels);
    this.held += size;
    for (const [oldest, value] of this.entries) {
      if (this.held <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.held -= value.data.byteLength;
    }
  }
}
