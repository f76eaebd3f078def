/**
 * Stream a request body to a temp file under a byte cap, hashing as it goes. The body is never
 * held in memory; crossing the cap aborts at once with 413 and removes the partial file.
 */
import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ImgedgeError, payloadTooLarge } from '../../shared/errors.js';

export interface Received {
  path: string;
  bytes: number;
  sha256: string;
  /** The first bytes, for magic-number sniffing. */
  head: Buffer;
}

const HEAD_BYTES = 4100;

export async function receiveToFile(
  body: AsyncIterable<Uint8Array> | Readable,
  path: string,
  maxBytes: number,
): Promise<Received> {
  const file = await open(path, 'wx', 0o600);
  const hash = createHash('sha256');
  const headChunks: Buffer[] = [];
  let headLength = 0;
  let bytes = 0;
  let ok = false;
  try {
    // A Readable is not destroyed when we stop early (413): the caller discards the rest of the
    // body, so a client still sending reads our response instead of a connection reset.
    const chunks: AsyncIterable<Uint8Array> =
      'iterator' in body && typeof body.iterator === 'function'
        ? body.iterator({ destroyOnReturn: false })
        : (body as AsyncIterable<Uint8Array>);
    for await (const chunk of chunks) {
      bytes += chunk.byteLength;
      if (bytes > maxBytes) throw payloadTooLarge(maxBytes);
      hash.update(chunk);
      if (headLength < HEAD_BYTES) {
        const part = Buffer.from(
          chunk.buffer,
          chunk.byteOffset,
          Math.min(chunk.byteLength, HEAD_BYTES - headLength),
        );
        headChunks.push(Buffer.from(part));
        headLength += part.length;
      }
      let offset = 0;
      while (offset < chunk.byteLength) {
        const { bytesWritten } = await file.write(chunk, offset, chunk.byteLength - offset);
        offset += bytesWritten;
      }
    }
    if (bytes === 0) throw new ImgedgeError('invalid_request', 'The upload is empty');
    await file.sync();
    ok = true;
  } finally {
    await file.close();
    if (!ok) await rm(path, { force: true });
  }
  return { path, bytes, sha256: hash.digest('hex'), head: Buffer.concat(headChunks) };
}
