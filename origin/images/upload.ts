/**
 * The upload flow: stream to a temp file under the byte cap → sniff magic bytes → probe with sharp
 * under the pixel cap and MAX_ANIMATION_FRAMES → decode once into a thumbnail (truncated/corrupt
 * data → 422) and make the placeholder from it, all in the bounded pool (uploads/check.ts) →
 * commit to the originals store under the content address (local: fsync + rename; S3: a put the
 * store verifies against the SHA-256) → one INSERT. The original is durable before the row
 * exists, and the row exists before the client hears 201; a store that fails is a 503
 * storage_unavailable with no row.
 */
import { rm } from 'node:fs/promises';
import type { Db } from '../db/driver.js';
import { fillPlaceholders, findLiveBySha, type ImageRow, insertImage } from '../db/images.js';
import type { OriginalStore } from '../storage/originals.js';
import { discardRemainder, uploadSource } from '../uploads/body.js';
import { inspectImage } from '../uploads/inspect.js';
import { receiveToFile } from '../uploads/receive.js';
import type { WorkPool } from '../variants/work-pool.js';
import { newImageId } from './ids.js';
import { lockSource } from './source-lock.js';

export interface UploadDeps {
  db: Db;
  originals: OriginalStore;
  maxFileSize: number;
  maxInputPixels: number;
  maxAnimationFrames: number;
  pool: WorkPool;
}

export interface UploadResult {
  row: ImageRow;
  created: boolean;
}

export async function uploadImage(deps: UploadDeps, owner: string, request: Request): Promise<UploadResult> {
  const source = await uploadSource(request, deps.maxFileSize);
  const temp = deps.originals.tempPath();
  const received = await receiveToFile(source.stream, temp, deps.maxFileSize).catch((err: unknown) => {
    // Refused mid-body (413): drop the rest in the background; the 413 goes out now.
    // For multipart, draining the file part alone would let busboy read the rest unbounded.
    source.stream.resume();
    discardRemainder(source.body);
    throw err;
  });
  let committed = false;
  try {
    // Decoding is the heavy part: it shares the transforms' bounded pool (503 when full).
    const { format, info, placeholder } = await inspectImage(received, deps);
    const result = await deps.db.transaction(async (tx) => {
      await lockSource(tx, received.sha256);
      const existing = await findLiveBySha(tx, owner, received.sha256);
      if (existing) {
        // An image from before placeholders: the bytes just gave it one (and its twins too).
        if (existing.placeholder) return { row: existing, created: false };
        await fillPlaceholders(tx, received.sha256, placeholder);
        return { row: { ...existing, placeholder }, created: false };
      }
      await deps.originals.commit(received.path, received.sha256);
      committed = true;
      return insertImage(tx, {
        id: newImageId(),
        owner,
        sha256: received.sha256,
        bytes: received.bytes,
        width: info.width,
        height: info.height,
        format,
        frames: info.frames,
        hasAlpha: info.hasAlpha,
        placeholder,
      }).then(({ record, created }) => ({ row: record, created }));
    });
    return result;
  } finally {
    if (!committed) await rm(received.path, { force: true });
  }
}
