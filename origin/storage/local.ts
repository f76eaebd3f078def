/**
 * Originals in a local folder, content-addressed: UPLOAD_DIR/ab/cd/<sha256>. A file appears under
 * its final name only after it was fully written and fsynced (temp file in UPLOAD_DIR/.tmp, then
 * rename), so a crash never leaves a partial file under a final name.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renameDurable } from './fs-atomic.js';
import { type OriginalStore, originalKey } from './originals.js';
import { TempArea } from './temp-area.js';

const SHARDED_SHA = /^[0-9a-f]{2}\/[0-9a-f]{2}\/([0-9a-f]{64})$/;

export class LocalOriginalStore implements OriginalStore {
  readonly backend = 'local' as const;
  readonly temp: TempArea;

  constructor(readonly dir: string) {
    this.temp = new TempArea(join(dir, '.tmp'));
  }

  init(): Promise<void> {
    return this.temp.init();
  }

  pathFor(sha256: string): string {
    // Same validation and sharding as every backend; the folder itself is the root (no `originals/`).
    return join(this.dir, originalKey(sha256).slice('originals/'.length));
  }

  tempPath(): string {
    return this.temp.path();
  }

  async commit(tempPath: string, sha256: string): Promise<void> {
    if (await this.exists(sha256)) {
      await rm(tempPath, { force: true });
      return;
    }
    await mkdir(join(this.dir, sha256.slice(0, 2), sha256.slice(2, 4)), { recursive: true });
    await renameDurable(tempPath, this.pathFor(sha256));
  }

  async exists(sha256: string): Promise<boolean> {
    try {
      return (await stat(this.pathFor(sha256))).isFile();
    } catch {
      return false;
    }
  }

  async read(sha256: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.pathFor(sha256));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async remove(sha256: string): Promise<void> {
    await rm(this.pathFor(sha256), { force: true });
  }

  async *list(): AsyncIterable<string> {
    const entries = await readdir(this.dir, { recursive: true, withFileTypes: true }).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [];
        throw err;
      },
    );
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const relative = join(entry.parentPath, entry.name)
        .slice(this.dir.length + 1)
        .replaceAll('\\', '/');
      const match = SHARDED_SHA.exec(relative);
      if (match) yield match[1]!;
    }
  }

  async probe(): Promise<void> {
    const path = this.temp.path('.probe');
    const payload = randomUUID();
    try {
      await writeFile(path, payload, { flush: true });
      if ((await readFile(path, 'utf8')) !== payload)
        throw new Error('storage probe read back different bytes');
    } finally {
      await rm(path, { force: true });
    }
  }
}
