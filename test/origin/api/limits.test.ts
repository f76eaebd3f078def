/**
 * The upload caps over real HTTP, on an origin with a small MAX_FILE_SIZE and MAX_INPUT_PIXELS:
 * 413 by Content-Length and by a chunked body crossing the cap (the partial temp file removed),
 * 422 for a pixel bomb.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../support/db.js';
import { largeFlatPng, photoJpeg } from '../../support/images.js';
import { startTestOrigin, type TestOrigin } from '../../support/origin.js';
import { bearer, expectProblem, filesUnder, storedOriginals, uploadMultipart } from './helpers.js';

const MAX_FILE_SIZE = 64 * 1024;
const MAX_INPUT_PIXELS = 1_000_000;

let origin: TestOrigin;
let token: string;

beforeAll(async () => {
  origin = await startTestOrigin({
    MAX_FILE_SIZE: String(MAX_FILE_SIZE),
    MAX_INPUT_PIXELS: String(MAX_INPUT_PIXELS),
  });
  token = await origin.craftToken({ sub: 'limits-owner' });
});
afterAll(() => origin?.close());

/** A body of `total` bytes sent chunked (no Content-Length), `chunk` bytes at a time. */
function chunkedBody(head: Uint8Array, total: number, chunk = 8 * 1024): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) {
        controller.close();
        return;
      }
      const part = new Uint8Array(Math.min(chunk, total - sent)).fill(0x41);
      if (sent === 0) part.set(head.subarray(0, part.length));
      sent += part.length;
      controller.enqueue(part);
    },
  });
}

function postChunked(body: ReadableStream<Uint8Array>, contentType = 'image/jpeg'): Promise<Response> {
  return fetch(`${origin.api}/images`, {
    method: 'POST',
    headers: { ...bearer(token), 'content-type': contentType },
    body,
    duplex: 'half',
  } as RequestInit);
}

async function expectNoTempFiles(): Promise<void> {
  expect(await filesUnder(`${origin.dirs.upload}/.tmp`)).toEqual([]);
}

describeDb('origin API: upload limits', () => {
  it('accepts an image under both caps (control)', async () => {
    const small = await photoJpeg(200, 150);
    expect(small.byteLength).toBeLessThan(MAX_FILE_SIZE);
    const res = await origin.upload(small, token);
    expect(res.status, await res.text()).toBe(201);
  });

  it('refuses a Content-Length over MAX_FILE_SIZE with 413 payload_too_large', async () => {
    const before = await storedOriginals(origin);
    const body = new Uint8Array(MAX_FILE_SIZE + 1);
    body.set(await photoJpeg(32, 32));
    const res = await origin.upload(body, token, 'image/jpeg');
    const problem = await expectProblem(res, 413, 'payload_too_large');
    expect(problem.limit).toBe(MAX_FILE_SIZE);
    expect(await storedOriginals(origin)).toEqual(before);
    await expectNoTempFiles();
  });

  it('refuses a chunked body (no Content-Length) as soon as it crosses MAX_FILE_SIZE, leaving no temp file', async () => {
    const before = await storedOriginals(origin);
    const head = await photoJpeg(32, 32);
    const res = await postChunked(chunkedBody(head, MAX_FILE_SIZE * 4));
    const problem = await expectProblem(res, 413, 'payload_too_large');
    expect(problem.limit).toBe(MAX_FILE_SIZE);
    expect(await storedOriginals(origin)).toEqual(before);
    await expectNoTempFiles();
    // The origin is still serving uploads afterwards.
    const ok = await origin.upload(await photoJpeg(64, 48, 11), token);
    expect(ok.status).toBe(201);
  });

  it('accepts a chunked body under the cap (control for the 413 above)', async () => {
    const bytes = await photoJpeg(120, 90, 12);
    const res = await postChunked(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 1000) controller.enqueue(bytes.subarray(i, i + 1000));
          controller.close();
        },
      }),
    );
    expect(res.status, await res.text()).toBe(201);
  });

  it('refuses a multipart file over MAX_FILE_SIZE with 413, leaving no temp file', async () => {
    const body = new Uint8Array(MAX_FILE_SIZE + 10);
    body.set(await photoJpeg(32, 32));
    const res = await uploadMultipart(origin, body, token, 'image/jpeg');
    await expectProblem(res, 413, 'payload_too_large');
    await expectNoTempFiles();
  });

  it('refuses a pixel bomb (dimensions over MAX_INPUT_PIXELS, few bytes) with 422 image_too_large', async () => {
    const before = await storedOriginals(origin);
    const bomb = await largeFlatPng(1500, 1000);
    expect(bomb.byteLength).toBeLessThan(MAX_FILE_SIZE);
    const problem = await expectProblem(
      await origin.upload(bomb, token, 'image/png'),
      422,
      'image_too_large',
    );
    expect(problem.limit).toBe(MAX_INPUT_PIXELS);
    await expectProblem(await uploadMultipart(origin, bomb, token, 'image/png'), 422, 'image_too_large');
    expect(await storedOriginals(origin)).toEqual(before);
    await expectNoTempFiles();
  });
});
