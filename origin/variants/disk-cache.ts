/**
 * The origin's variant cache on disk: OUTPUT_DIR/<sha[0:2]>/<source sha>/<variant hash>.<ext>,
 * bounded by bytes with least-recently-used eviction. The in-memory index (a Map kept in recency
 * order) is rebuilt from the folder at start, ordered by mtime; hits refresh mtime.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type CacheEvent = 'hit' | 'miss' | 'eviction';

export interface VariantCacheOptions {
  dir: string;
  maxBytes: number;
  onEvent?: (event: CacheEvent) => void;
  onSize?: (bytes: number) => void;
}

/** Bump when the pipeline's output for the same options changes, to stop serving stale variants. */
export const PIPELINE_VERSION = '1';

export class VariantCache {
  private readonly index = new Map<string, number>(); // path → size, oldest first
  private total = 0;

  constructor(private readonly options: VariantCacheOptions) {}

  get bytes(): number {
    return this.total;
  }

  async init(): Promise<void> {
    await mkdir(join(this.options.dir, '.tmp'), { recursive: true });
    const found: { path: string; size: number; mtime: number }[] = [];
    for (const shard of await readdir(this.options.dir)) {
      if (shard === '.tmp') {
        await rm(join(this.options.dir, shard), { recursive: true, force: true });
        await mkdir(join(this.options.dir, '.tmp'), { recursive: true });
        continue;
      }
      for (const source of await readdir(join(this.options.dir, shard)).catch(() => [])) {
        const sourceDir = join(this.options.dir, shard, source);
        for (const name of await readdir(sourceDir).catch(() => [])) {
          const path = join(sourceDir, name);
          const s = await stat(path);
          if (s.size === 0) await rm(path, { force: true });
          else found.push({ path, size: s.size, mtime: s.mtimeMs });
        }
      }
    }
    found.sort((a, b) => a.mtime - b.mtime);
    for (const f of found) this.remember(f.path, f.size);
    await this.evict();
  }

  /** Stable file name for one variant of one source. */
  pathFor(sourceSha: string, canonical: string, format: string): string {
    const hash = createHash('sha256').update(`${PIPELINE_VERSION}\n${canonical}\n${format}`).digest('hex');
    return join(this.options.dir, sourceSha.slice(0, 2), sourceSha, `${hash.slice(0, 32)}.${format}`);
  }

  async get(sourceSha: string, canonical: string, format: string): Promise<Buffer | undefined> {
    const path = this.pathFor(sourceSha, canonical, format);
    if (!this.index.has(path)) {
      this.options.onEvent?.('miss');
      return undefined;
    }
    try {
      const data = await readFile(path);
      this.touch(path);
      this.options.onEvent?.('hit');
      return data;
    } catch {
      this.forget(path);
      this.options.onEvent?.('miss');
      return undefined;
    }
  }

  async put(sourceSha: string, canonical: string, format: string, data: Uint8Array): Promise<void> {
    if (data.byteLength > this.options.maxBytes) return;
    const path = this.pathFor(sourceSha, canonical, format);
    const tmp = join(this.options.dir, '.tmp', randomUUID());
    await mkdir(join(this.options.dir, sourceSha.slice(0, 2), sourceSha), { recursive: true });
    await writeFile(tmp, data);
    await rename(tmp, path);
    this.forget(path);
    this.remember(path, data.byteLength);
    await this.evict();
  }

  /** Drop every variant of a source (its image was deleted). */
  async removeSource(sourceSha: string): Promise<void> {
    const dir = join(this.options.dir, sourceSha.slice(0, 2), sourceSha);
    for (const path of [...this.index.keys()]) if (path.startsWith(`${dir}/`)) this.forget(path);
    await rm(dir, { recursive: true, force: true });
  }

  private touch(path: string): void {
    const size = this.index.get(path);
    if (size === undefined) return;
    this.index.delete(path);
    this.index.set(path, size);
    const now = new Date();
    utimes(path, now, now).catch(() => {});
  }

  private remember(path: string, size: number): void {
    this.index.set(path, size);
    this.total += size;
    this.options.onSize?.(this.total);
  }

  private forget(path: string): void {
    const size = this.index.get(path);
    if (size === undefined) return;
    this.index.delete(path);
    this.total -= size;
    this.options.onSize?.(this.total);
  }

  private async evict(): Promise<void> {
    while (this.total > this.options.maxBytes) {
      const oldest = this.index.keys().next();
      if (oldest.done) break;
      this.forget(oldest.value);
      await rm(oldest.value, { force: true });
      this.options.onEvent?.('eviction');
    }
  }
}
