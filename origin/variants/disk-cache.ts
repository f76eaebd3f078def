/**
 * The origin's variant cache on disk: OUTPUT_DIR/<sha[0:2]>/<source sha>/<variant hash>.<ext>
 * (ext = the format actually produced, which for f=auto may differ from the requested class),
 * bounded by bytes with least-recently-used eviction. The in-memory index (a Map kept in recency
 * order) is rebuilt from the folder at start, ordered by mtime; hits refresh mtime.
 *
 * Beside a source's variants, REQUESTED_FILE lists every (canonical options, requested format)
 * this origin has made for it, one `<canonical>\t<requested>` line each. It outlives eviction
 * (the edge caches a variant for a year, whatever the origin keeps), so that a delete can tell
 * the edge which of its cache keys to drop (see requested()).
 */
import { createHash, randomUUID } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
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

/**
 * The pipeline version of one variant: PIPELINE_VERSION for a variant made from the original,
 * `<PIPELINE_VERSION>+m<MEZZANINE_VERSION>` for one made from the mezzanine (origin/mezzanine/),
 * so the two never share a cache entry or an ETag.
 */
export function variantPipeline(mezzanineVersion: string | undefined): string {
  return mezzanineVersion === undefined ? PIPELINE_VERSION : `${PIPELINE_VERSION}+m${mezzanineVersion}`;
}

/** Per source: the variants requested of this origin, kept through eviction and restarts. */
export const REQUESTED_FILE = 'requested.tsv';

/** One variant as the edge asked for it: its canonical options and its resolved format. */
export interface RequestedVariant {
  canonical: string;
  format: string;
}

export class VariantCache {
  /** Variant path without extension → size and produced format; Map order = recency, oldest first. */
  private readonly index = new Map<string, { size: number; format: string }>();
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
          if (name === REQUESTED_FILE) continue;
          const s = await stat(path);
          if (s.size === 0 || !/^[0-9a-f]{32}\.[a-z]+$/.test(name)) await rm(path, { force: true });
          else found.push({ path, size: s.size, mtime: s.mtimeMs });
        }
      }
    }
    found.sort((a, b) => a.mtime - b.mtime);
    for (const f of found) {
      const dot = f.path.lastIndexOf('.');
      this.remember(f.path.slice(0, dot), f.size, f.path.slice(dot + 1));
    }
    await this.evict();
  }

  /** Stable file name (without extension) for one variant of one source. */
  private keyFor(sourceSha: string, canonical: string, requested: string, pipeline: string): string {
    const hash = createHash('sha256').update(`${pipeline}\n${canonical}\n${requested}`).digest('hex');
    return join(this.options.dir, sourceSha.slice(0, 2), sourceSha, hash.slice(0, 32));
  }

  /** `requested` is the requested format's label (formatLabel: the explicit f, or the f=auto class). */
  async get(
    sourceSha: string,
    canonical: string,
    requested: string,
    pipeline = PIPELINE_VERSION,
  ): Promise<{ data: Buffer; format: string } | undefined> {
    const key = this.keyFor(sourceSha, canonical, requested, pipeline);
    const entry = this.index.get(key);
    if (entry) {
      try {
        const data = await readFile(`${key}.${entry.format}`);
        this.touch(key);
        this.options.onEvent?.('hit');
        return { data, format: entry.format };
      } catch {
        this.forget(key);
      }
    }
    this.options.onEvent?.('miss');
    return undefined;
  }

  async put(
    sourceSha: string,
    canonical: string,
    requested: string,
    data: Uint8Array,
    format: string,
    pipeline = PIPELINE_VERSION,
  ): Promise<void> {
    const key = this.keyFor(sourceSha, canonical, requested, pipeline);
    const sourceDir = join(this.options.dir, sourceSha.slice(0, 2), sourceSha);
    await mkdir(sourceDir, { recursive: true });
    // A variant not on disk yet (new, or evicted and made again) is recorded; duplicates are
    // folded when read.
    if (!this.index.has(key)) {
      await appendFile(join(sourceDir, REQUESTED_FILE), `${canonical}\t${requested}\n`, { mode: 0o600 });
    }
    if (data.byteLength > this.options.maxBytes) return;
    const tmp = join(this.options.dir, '.tmp', randomUUID());
    await writeFile(tmp, data);
    await rename(tmp, `${key}.${format}`);
    this.forget(key);
    this.remember(key, data.byteLength, format);
    await this.evict();
  }

  /** Every variant ever made of a source here (deduplicated), even those evicted since. */
  async requested(sourceSha: string): Promise<RequestedVariant[]> {
    const file = join(this.options.dir, sourceSha.slice(0, 2), sourceSha, REQUESTED_FILE);
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    const seen = new Map<string, RequestedVariant>();
    for (const line of text.split('\n')) {
      const tab = line.indexOf('\t');
      if (tab < 0) continue;
      seen.set(line, { canonical: line.slice(0, tab), format: line.slice(tab + 1) });
    }
    return [...seen.values()];
  }

  /** Drop every variant of a source (its image was deleted), and its REQUESTED_FILE. */
  async removeSource(sourceSha: string): Promise<void> {
    const dir = join(this.options.dir, sourceSha.slice(0, 2), sourceSha);
    for (const path of [...this.index.keys()]) if (path.startsWith(`${dir}/`)) this.forget(path);
    await rm(dir, { recursive: true, force: true });
  }

  private touch(key: string): void {
    const entry = this.index.get(key);
    if (!entry) return;
    this.index.delete(key);
    this.index.set(key, entry);
    const now = new Date();
    utimes(`${key}.${entry.format}`, now, now).catch(() => {});
  }

  private remember(key: string, size: number, format: string): void {
    this.index.set(key, { size, format });
    this.total += size;
    this.options.onSize?.(this.total);
  }

  private forget(key: string): { size: number; format: string } | undefined {
    const entry = this.index.get(key);
    if (!entry) return undefined;
    this.index.delete(key);
    this.total -= entry.size;
    this.options.onSize?.(this.total);
    return entry;
  }

  private async evict(): Promise<void> {
    while (this.total > this.options.maxBytes) {
      const oldest = this.index.keys().next();
      if (oldest.done) break;
      const entry = this.forget(oldest.value);
      await rm(`${oldest.value}.${entry?.format}`, { force: true });
      this.options.onEvent?.('eviction');
    }
  }
}
