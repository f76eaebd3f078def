/**
 * The local folder where uploads are received before they are checked and committed
 * (UPLOAD_DIR/.tmp, for either backend). Emptied at start: a crash may leave partial files here.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export class TempArea {
  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) await rm(join(this.dir, name), { force: true });
  }

  path(suffix = '.part'): string {
    return join(this.dir, `${randomUUID()}${suffix}`);
  }
}
