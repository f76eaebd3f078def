/**
 * A refused multipart upload must not be read forever: draining is bounded for the whole request
 * body, not just the file part (busboy would otherwise keep consuming what follows).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discardRemainder, uploadSource } from '../../../origin/uploads/body.js';
import { receiveToFile } from '../../../origin/uploads/receive.js';
import { ImgedgeError } from '../../../shared/errors.js';

const BOUNDARY = 'imgedge-test-boundary';

/** A multipart body whose `file` part never ends: 1 KiB chunks until cancelled; counts what was pulled. */
function endlessMultipart() {
  const state = { pulled: 0, cancelled: false };
  const head = new TextEncoder().encode(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="x.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
  );
  let sentHead = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Like a socket: data arrives on later turns of the event loop, never in a tight loop.
      await new Promise((resolve) => setImmediate(resolve));
      const chunk = sentHead ? new Uint8Array(1024).fill(0x41) : head;
      sentHead = true;
      state.pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
    cancel() {
      state.cancelled = true;
    },
  });
  const request = new Request('http://origin.test/api/v1/images', {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    body,
    duplex: 'half',
  } as RequestInit);
  return { request, state };
}

describe('uploadSource + discardRemainder', () => {
  it('stops reading a refused multipart request once the drain limit is reached', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imgedge-body-'));
    try {
      const { request, state } = endlessMultipart();
      const source = await uploadSource(request, 4096);
      const refused = await receiveToFile(source.stream, join(dir, 'part'), 4096).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ImgedgeError);
      expect((refused as ImgedgeError).code).toBe('payload_too_large');
      source.stream.resume();
      discardRemainder(source.body, { bytes: 64 * 1024, ms: 5000 });
      await new Promise<void>((resolve) => {
        if (source.body.destroyed) resolve();
        else source.body.once('close', () => resolve());
      });
      expect(source.body.destroyed).toBe(true);
      const pulledAtStop = state.pulled;
      await new Promise((r) => setTimeout(r, 100));
      // Nothing more is read once the body is destroyed, and far less than "forever" was read.
      expect(state.pulled).toBe(pulledAtStop);
      expect(state.pulled).toBeLessThan(1024 * 1024);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
