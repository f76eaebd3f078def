import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/** fsync a directory so a rename into it survives a crash (no-op where directories can't be opened). */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EISDIR' && (err as NodeJS.ErrnoException).code !== 'EPERM')
      throw err;
  } finally {
    await handle?.close();
  }
}

/** Atomically publish a fully written, fsynced file under its final name. */
export async function renameDurable(from: string, to: string): Promise<void> {
  await rename(from, to);
  await fsyncDir(dirname(to));
}
