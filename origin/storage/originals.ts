/**
 * Originals, content-addressed: UPLOAD_DIR/ab/cd/<sha256>. A file appears under its final name
 * only after it was fully written and fsynced (temp file in UPLOAD_DIR/.tmp, then rename), so a
 * crash never leaves a partial file under a final name.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renameDurable } from './fs-atomic.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

export class OriginalStore {
  readonly tmpDir: string;

  constructor(readonly dir: string) {
    this.tmpDir = join(dir, '.tmp');
  }

  /** Create the folders and remove temp files a crash may have left behind. */
  async init(): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    for (const name of await readdir(this.tmpDir)) await rm(join(this.tmpDir, name), { force: true });
  }

  pathFor(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return join(this.dir, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  tempPath(): string {
    return join(this.tmpDir, `${randomUUID()}.part`);
  }

  /** Move a complete, fsynced temp file to its content address. Same bytes already there: drop the temp. */
  async commit(tempPath: string, sha256: string): Promise<string> {
    const final = this.pathFor(sha256);
    if (await this.exists(sha256)) {
      await rm(tempPath, { force: true });
      return final;
    }
    await mkdir(join(this.dir, sha256.slice(0, 2), sha256.slice(2, 4)), { recursive: true });
    await renameDurable(tempPath, final);
    return final;
  }

  async exists(sha256: string): Promise<boolean> {
    try {
      return (await stat(this.pathFor(sha256))).isFile();
    } catch {
      return false;
    }
  }

  read(sha256: string): Promise<Buffer> {
    return readFile(this.pathFor(sha256));
  }

  async remove(sha256: string): Promise<void> {
    await rm(this.pathFor(sha256), { force: true });
  }

  /** Health probe: write, read back and delete a small file. */
  async probe(): Promise<void> {
    const path = join(this.tmpDir, `probe-${randomUUID()}`);
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
