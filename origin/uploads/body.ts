/**
 * The upload's byte stream: a raw `image/*` body, or the `file` part of multipart/form-data
 * (busboy). Either way the bytes are streamed, never buffered whole.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import busboy from 'busboy';
import { ImgedgeError, payloadTooLarge } from '../../shared/errors.js';

export interface UploadSource {
  /** The image bytes. */
  stream: Readable;
  /** The whole request body (for multipart, what busboy reads): what a refusal drains, bounded. */
  body: Readable;
}

export async function uploadSource(request: Request, maxBytes: number): Promise<UploadSource> {
  const contentType = request.headers.get('content-type') ?? '';
  const length = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(length) && length > maxBytes + (contentType.startsWith('multipart/') ? 64 * 1024 : 0)) {
    throw payloadTooLarge(maxBytes);
  }
  if (!request.body) throw new ImgedgeError('invalid_request', 'The upload is empty');
  const body = Readable.fromWeb(request.body as unknown as NodeWebStream<Uint8Array>);
  const mime = contentType.split(';')[0]!.trim().toLowerCase();
  if (mime.startsWith('image/') || mime === 'application/octet-stream') {
    return { stream: body, body };
  }
  if (mime === 'multipart/form-data') return multipartFile(body, contentType, maxBytes);
  body.destroy();
  throw new ImgedgeError(
    'unsupported_media_type',
    'Send the image as the raw body with Content-Type: image/*, or as the multipart/form-data field "file"',
  );
}

function multipartFile(body: Readable, contentType: string, maxBytes: number): Promise<UploadSource> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { 'content-type': contentType },
        limits: { files: 1, fields: 20, parts: 25, fileSize: maxBytes + 1, fieldSize: 4096 },
      });
    } catch {
      body.destroy();
      reject(new ImgedgeError('invalid_request', 'Malformed multipart/form-data request'));
      return;
    }
    let found = false;
    parser.on('file', (name, stream) => {
      if (name !== 'file' || found) {
        stream.resume();
        return;
      }
      found = true;
      resolve({ stream, body });
    });
    parser.on('error', () => {
      body.destroy();
      if (!found) reject(new ImgedgeError('invalid_request', 'Malformed multipart/form-data request'));
    });
    parser.on('close', () => {
      if (!found) reject(new ImgedgeError('invalid_request', 'The multipart request has no "file" field'));
    });
    body.on('error', (err) => parser.destroy(err));
    body.pipe(parser);
  });
}

/** Bounds on what discardRemainder reads before giving up on the connection. */
export const DISCARD_LIMITS = { bytes: 32 * 1024 * 1024, ms: 10_000 };

/**
 * Read and drop what is left of a refused upload, in the background, so the client — typically
 * still sending when we answer 413/415 early — gets to read that answer on a connection we keep
 * draining (an HTTP/1.1 "lingering close"), instead of a reset that loses the response. Bounded:
 * past DISCARD_LIMITS the stream is destroyed and the server closes the connection.
 */
export function discardRemainder(stream: Readable, limits = DISCARD_LIMITS): void {
  if (stream.destroyed || stream.readableEnded) return;
  let seen = 0;
  const stop = () => {
    clearTimeout(timer);
    stream.destroy();
  };
  const timer = setTimeout(stop, limits.ms);
  timer.unref();
  stream.on('data', (chunk: Uint8Array) => {
    seen += chunk.byteLength;
    if (seen > limits.bytes) stop();
  });
  stream.once('end', () => clearTimeout(timer));
  stream.once('close', () => clearTimeout(timer));
  stream.on('error', () => clearTimeout(timer));
  stream.resume();
}
