/**
 * Remote sources at the origin, over real HTTP, against a real HTTP server this file starts (on
 * loopback, so with the dangerous SOURCES_ALLOW_PRIVATE_NETWORKS=1): fetch and transform, cache
 * hits without a request, revalidation (304) and a changed image (new bytes, new ETag), 404 (kept
 * briefly), 5xx and timeouts (never kept), the byte cap with and without Content-Length, a lying
 * Content-Length, a slow drip, redirect chains, non-images, SVG, a decompression bomb, and purge —
 * at the internal variant route the edge calls and at DELETE /api/v1/sources/<name>/<path>.
 */
import type { ServerResponse } from 'node:http';
import sharp, { type Metadata } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeDb } from '../support/db.js';
import {
  BLUE,
  GREEN,
  garbage,
  onePixelPng,
  photoJpeg,
  pixelBombPng,
  RED,
  svgImage,
  truncatedJpeg,
} from '../support/images.js';
import { parseExposition } from '../support/metrics.js';
import { startTestOrigin, type TestOrigin, testStorageKind } from '../support/origin.js';
import {
  etagOf,
  imageHandler,
  redirectHandler,
  type SourceServer,
  startSourceServer,
} from '../support/source-server.js';
import { bearer, expectProblem, filesUnder, sha256Hex, uploadOk } from './api/helpers.js';

const MAX_FILE_SIZE = 96 * 1024;
const SOURCE_TTL = 600;
const TIMEOUT_MS = 1500;

let server: SourceServer;
let origin: TestOrigin;
let writer: string;

function solidPng(colour: { r: number; g: number; b: number }, width = 120, height = 80): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } })
    .png()
    .toBuffer();
}

beforeAll(async () => {
  server = await startSourceServer();
  origin = await startTestOrigin({
    SOURCES: JSON.stringify({ t: `${server.url}/img/`, other: `${server.url}/other/` }),
    SOURCES_ALLOW_PRIVATE_NETWORKS: '1',
    SOURCE_TTL: String(SOURCE_TTL),
    SOURCE_NOT_FOUND_TTL: '300',
    SOURCE_TIMEOUT_MS: String(TIMEOUT_MS),
    MAX_FILE_SIZE: String(MAX_FILE_SIZE),
    MAX_INPUT_PIXELS: '4000000',
  });
  writer = await origin.craftToken({ sub: 'sources-writer' });
});
afterAll(async () => {
  await origin?.close();
  await server?.close();
});

/** The internal variant route, as the edge calls it. */
function variant(path: string, query = 'format=webp', headers: Record<string, string> = {}) {
  return origin.variant(path, query, headers);
}

async function ok(res: Response): Promise<{ bytes: Buffer; meta: Metadata; res: Response }> {
  const text = res.status === 200 ? '' : await res.clone().text();
  expect(res.status, text).toBe(200);
  const bytes = Buffer.from(await res.arrayBuffer());
  return { bytes, meta: await sharp(bytes).metadata(), res };
}

/** The cached row of (source, path), as the database has it. */
async function row(path: string, source = 't') {
  const rows = await origin.db.query<{ sha256: string | null; etag: string | null; remaining: number }>(
    `select sha256, etag, extract(epoch from (fresh_until - now()))::float8 as remaining
       from source_cache where source = $1 and path = $2`,
    [source, path],
  );
  return rows[0];
}

/** Make a cached source stale, as if its freshness had run out. */
async function makeStale(path: string, source = 't'): Promise<void> {
  await origin.db.query(
    `update source_cache set fresh_until = now() - interval '1 second' where source = $1 and path = $2`,
    [source, path],
  );
}

function maxAge(res: Response): number {
  const match = /^public, max-age=(\d+)$/.exec(res.headers.get('cache-control') ?? '');
  expect(match, res.headers.get('cache-control') ?? '').not.toBeNull();
  return Number(match![1]);
}

async function noTempFiles(): Promise<void> {
  expect(await filesUnder(`${origin.dirs.upload}/.tmp`)).toEqual([]);
}

/** The centre pixel's colour of an image. */
async function centre(bytes: Buffer): Promise<number[]> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const i = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * info.channels;
  return [data[i]!, data[i + 1]!, data[i + 2]!];
}

function purge(path: string, token = writer, headers: Record<string, string> = {}) {
  return fetch(`${origin.api}/sources/${path}`, {
    method: 'DELETE',
    headers: { ...bearer(token), ...headers },
  });
}

describeDb('remote sources: fetch, cache, revalidate, purge', () => {
  let photo: Buffer;
  beforeAll(async () => {
    photo = await photoJpeg(320, 240, 3);
    server.on(
      '/img/photo.jpg',
      imageHandler(() => photo, { contentType: 'image/jpeg' }),
    );
  });

  it('fetches the source, checks it and transforms it; the bytes are stored content-addressed', async () => {
    const { meta, res } = await ok(
      await variant('w=100/@t/photo.jpg', 'format=webp', { 'x-request-id': 'src-req-1' }),
    );
    expect(meta.format).toBe('webp');
    expect([meta.width, meta.height]).toEqual([100, 75]);
    expect(res.headers.get('content-type')).toBe('image/webp');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('etag')).toMatch(/^"[\w-]{27}"$/);
    // Not immutable: the source may change. Fresh for SOURCE_TTL (the source sent no Cache-Control).
    const age = maxAge(res);
    expect(age).toBeGreaterThan(SOURCE_TTL - 30);
    expect(age).toBeLessThanOrEqual(SOURCE_TTL);
    expect(server.count('/img/photo.jpg')).toBe(1);
    // The request the origin sent: a plain GET, no validators yet, identity encoding.
    const sent = server.requests.find((r) => r.path === '/img/photo.jpg')!;
    expect(sent.headers['if-none-match']).toBeUndefined();
    expect(sent.headers['accept-encoding']).toBe('identity');
    expect(await origin.originals.exists(sha256Hex(photo))).toBe(true);
    expect(await row('photo.jpg')).toMatchObject({ sha256: sha256Hex(photo), etag: etagOf(photo) });
    await noTempFiles();
    const line = origin.logs.find((l) => l.msg === 'source fetch' && l.request_id === 'src-req-1');
    expect(line).toMatchObject({
      source: 't',
      path: 'photo.jpg',
      result: 'fetched_200',
      bytes: photo.length,
    });
  });

  it('serves a fresh copy without asking the source again (other options, HEAD, defaults)', async () => {
    const before = server.count('/img/photo.jpg');
    await ok(await variant('w=50,f=png/@t/photo.jpg', ''));
    const head = await fetch(`${origin.url}/internal/v1/variants/@t/photo.jpg?format=jpeg`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${origin.config.originAuthToken}` },
    });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const again = await variant('w=100/@t/photo.jpg');
    expect(again.headers.get('x-variant-cache')).toBe('HIT');
    await again.arrayBuffer();
    expect(server.count('/img/photo.jpg')).toBe(before);
    expect(
      await origin.metric('imgedge_source_fetches_total', { source: 't', result: 'fresh' }),
    ).toBeGreaterThanOrEqual(3);
  });

  it('revalidates a stale copy with one conditional request: 304 keeps the bytes and the ETag', async () => {
    const first = await variant('w=100/@t/photo.jpg');
    const etag = first.headers.get('etag');
    await first.arrayBuffer();
    await makeStale('photo.jpg');
    const before = server.count('/img/photo.jpg');
    const { res } = await ok(await variant('w=100/@t/photo.jpg'));
    expect(res.headers.get('etag')).toBe(etag);
    expect(server.count('/img/photo.jpg')).toBe(before + 1);
    const conditional = server.requests.filter((r) => r.path === '/img/photo.jpg').at(-1)!;
    expect(conditional.headers['if-none-match']).toBe(etagOf(photo));
    expect(conditional.headers['if-modified-since']).toBe('Tue, 01 Dec 2026 10:00:00 GMT');
    expect(maxAge(res)).toBeGreaterThan(SOURCE_TTL - 30);
    // Fresh again: the next request asks nobody.
    await (await variant('w=100/@t/photo.jpg')).arrayBuffer();
    expect(server.count('/img/photo.jpg')).toBe(before + 1);
    expect(
      await origin.metric('imgedge_source_fetches_total', { source: 't', result: 'revalidated_304' }),
    ).toBe(1);
  });

  it('a source without ETag or Last-Modified is fetched whole when stale (same bytes: same ETag)', async () => {
    const png = await solidPng(BLUE, 20, 20);
    server.on('/img/plain.png', (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(png.length) }).end(png);
    });
    const first = await ok(await variant('w=10/@t/plain.png'));
    await makeStale('plain.png');
    const second = await ok(await variant('w=10/@t/plain.png'));
    expect(server.count('/img/plain.png')).toBe(2);
    expect(server.count('/img/plain.png', true)).toBe(0);
    expect(second.res.headers.get('etag')).toBe(first.res.headers.get('etag'));
    expect((await row('plain.png'))?.remaining).toBeGreaterThan(SOURCE_TTL - 30);
  });

  it('a changed source image gives new bytes, a new ETag and new variants; the old bytes go', async () => {
    let current = await solidPng(RED);
    const first = await solidPng(RED);
    server.on(
      '/img/changing.png',
      imageHandler(() => current),
    );
    const before = await ok(await variant('w=60,f=png/@t/changing.png', ''));
    expect(await centre(before.bytes)).toEqual([255, 0, 0]);

    current = await solidPng(GREEN);
    await makeStale('changing.png');
    const after = await ok(await variant('w=60,f=png/@t/changing.png', ''));
    expect(server.count('/img/changing.png', true)).toBe(1); // asked conditionally, got a 200
    expect(after.res.headers.get('etag')).not.toBe(before.res.headers.get('etag'));
    expect(await centre(after.bytes)).toEqual([0, 255, 0]);
    expect((await row('changing.png'))?.sha256).toBe(sha256Hex(current));
    expect(await origin.originals.exists(sha256Hex(current))).toBe(true);
    expect(await origin.originals.exists(sha256Hex(first))).toBe(false);
  });

  it('honours a longer max-age (s-maxage first); no-store and shorter lifetimes keep the SOURCE_TTL floor', async () => {
    const png = await solidPng(BLUE, 40, 40);
    server.on(
      '/img/long.png',
      imageHandler(() => png, { cacheControl: 'public, max-age=7200, s-maxage=86400' }),
    );
    server.on(
      '/img/nostore.png',
      imageHandler(() => png, { cacheControl: 'no-store, max-age=5' }),
    );
    const long = maxAge((await ok(await variant('@t/long.png'))).res);
    expect(long).toBeGreaterThan(86_400 - 30);
    expect(long).toBeLessThanOrEqual(86_400);
    const floor = maxAge((await ok(await variant('@t/nostore.png'))).res);
    expect(floor).toBeGreaterThan(SOURCE_TTL - 30);
    expect(floor).toBeLessThanOrEqual(SOURCE_TTL);
  });

  it('a source 404 is a 404, remembered briefly (no second request until it goes stale)', async () => {
    await expectProblem(await variant('w=100/@t/missing.png'), 404, 'not_found');
    await expectProblem(await variant('w=200/@t/missing.png'), 404, 'not_found');
    expect(server.count('/img/missing.png')).toBe(1);
    expect(await row('missing.png')).toMatchObject({ sha256: null });
    expect(await origin.metric('imgedge_source_fetches_total', { source: 't', result: 'negative' })).toBe(1);
    await makeStale('missing.png');
    await expectProblem(await variant('w=100/@t/missing.png'), 404, 'not_found');
    expect(server.count('/img/missing.png')).toBe(2);
  });

  it('a source 5xx is a 502 source_error, never cached', async () => {
    server.on('/img/broken.png', (_req, res) => {
      res.writeHead(503, { 'retry-after': '1' }).end('down');
    });
    const problem = await expectProblem(await variant('w=100/@t/broken.png'), 502, 'source_error');
    expect(problem.upstream_status).toBe(503);
    await expectProblem(await variant('w=100/@t/broken.png'), 502, 'source_error');
    expect(server.count('/img/broken.png')).toBe(2);
    expect(await row('broken.png')).toBeUndefined();
  });

  it('a source that never answers is a 504 source_timeout, never cached', async () => {
    const hanging: ServerResponse[] = [];
    server.on('/img/hang.png', (_req, res) => {
      hanging.push(res);
    });
    await expectProblem(await variant('w=100/@t/hang.png'), 504, 'source_timeout');
    await expectProblem(await variant('w=100/@t/hang.png'), 504, 'source_timeout');
    expect(server.count('/img/hang.png')).toBe(2);
    expect(await row('hang.png')).toBeUndefined();
    for (const res of hanging) res.destroy();
  });

  it('a slow drip (headers at once, then a byte at a time) hits the total timeout: 504', async () => {
    const png = await solidPng(RED, 64, 64);
    let cut = false;
    server.on('/img/drip.png', (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(png.length) });
      let sent = 0;
      const timer = setInterval(() => {
        if (res.destroyed || sent >= png.length) {
          clearInterval(timer);
          return;
        }
        res.write(png.subarray(sent, sent + 1));
        sent++;
      }, 50);
      res.once('close', () => {
        if (sent < png.length) cut = true;
        clearInterval(timer);
      });
    });
    await expectProblem(await variant('@t/drip.png'), 504, 'source_timeout');
    await expect.poll(() => cut).toBe(true);
    expect(await row('drip.png')).toBeUndefined();
    await noTempFiles();
  });

  it('refuses a body over MAX_FILE_SIZE declared by Content-Length (413), without waiting for it', async () => {
    server.on('/img/big-declared.png', (_req, res) => {
      // Headers only: had the origin waited for the body, this would be a 504 after SOURCE_TIMEOUT_MS.
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(MAX_FILE_SIZE + 1) });
      res.flushHeaders();
    });
    const problem = await expectProblem(await variant('@t/big-declared.png'), 413, 'payload_too_large');
    expect(problem.limit).toBe(MAX_FILE_SIZE);
    expect(await row('big-declared.png')).toBeUndefined();
    await noTempFiles();
  });

  it('refuses a chunked body (no Content-Length) the moment it crosses MAX_FILE_SIZE: 413', async () => {
    const head = await solidPng(RED, 32, 32);
    const ENDLESS = 256 * 1024 * 1024;
    let written = 0;
    let closed = false;
    server.on('/img/big-chunked.png', (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' }); // chunked
      const chunk = Buffer.alloc(16 * 1024, 0x41);
      head.copy(chunk);
      const pump = () => {
        while (written < ENDLESS && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end();
      };
      res.once('close', () => {
        closed = true;
      });
      pump();
    });
    await expectProblem(await variant('@t/big-chunked.png'), 413, 'payload_too_large');
    // The origin hung up long before the server was done (socket buffers hold a few MB at most).
    await expect.poll(() => closed).toBe(true);
    expect(written).toBeLessThan(ENDLESS);
    expect(await row('big-chunked.png')).toBeUndefined();
    await noTempFiles();
  });

  it('a lying Content-Length: only the declared bytes are read (here a truncated image: 422)', async () => {
    const jpeg = await photoJpeg(320, 240, 9);
    // Raw HTTP on the socket: node's own server would refuse to send a body that contradicts its
    // Content-Length.
    const raw = (length: number, body: Buffer[]) => (_req: unknown, res: ServerResponse) => {
      const socket = res.socket!;
      socket.write(`HTTP/1.1 200 OK\r\ncontent-type: image/jpeg\r\ncontent-length: ${length}\r\n\r\n`);
      for (const part of body) socket.write(part);
      socket.end();
    };
    // The whole JPEG and then far more than the cap; the client must stop at 2000 bytes.
    server.on('/img/liar.jpg', raw(2000, [jpeg, Buffer.alloc(MAX_FILE_SIZE * 2, 0x41)]));
    await expectProblem(await variant('@t/liar.jpg'), 422, 'invalid_image');
    // Declaring more than it sends, then closing: the image never arrived whole.
    server.on('/img/short.jpg', raw(jpeg.length * 2, [jpeg]));
    await expectProblem(await variant('@t/short.jpg'), 502, 'source_unreachable');
    expect(await row('liar.jpg')).toBeUndefined();
    expect(await row('short.jpg')).toBeUndefined();
    await noTempFiles();
  });

  describe('redirects', () => {
    beforeAll(async () => {
      const png = await solidPng(GREEN, 30, 30);
      server.on(
        '/img/final.png',
        imageHandler(() => png),
      );
      server.on('/img/r1', redirectHandler('/img/final.png', 301));
      server.on('/img/r2', redirectHandler(`${server.url}/img/r1`, 302));
      server.on('/img/r3', redirectHandler('r2', 307)); // relative to /img/
      server.on('/img/r4', redirectHandler('/img/r3', 308));
      server.on('/img/out', redirectHandler(`${server.url}/other/final.png`));
      server.on(
        '/other/final.png',
        imageHandler(() => png),
      );
      server.on('/img/dots', redirectHandler('../secret.png'));
      server.on('/img/encoded', redirectHandler('/img/..%2f..%2fsecret.png'));
      server.on('/img/ftp', redirectHandler('ftp://127.0.0.1/img/final.png'));
      server.on('/img/nowhere', (_req, res) => {
        res.writeHead(302).end();
      });
      server.on('/img/badloc', redirectHandler('http://[::1'));
    });

    it('follows up to 3 redirects under the base', async () => {
      await ok(await variant('w=10/@t/r3'));
      expect(['/img/r3', '/img/r2', '/img/r1', '/img/final.png'].map((p) => server.count(p))).toEqual([
        1, 1, 1, 1,
      ]);
    });

    it('refuses a 4th redirect (too_many_redirects) without following it', async () => {
      const problem = await expectProblem(await variant('w=10/@t/r4'), 403, 'source_refused');
      expect(problem.reason).toBe('too_many_redirects');
      expect(server.count('/img/final.png')).toBe(1); // still only the first test's
    });

    it('refuses a redirect out of the source base, even to another configured source', async () => {
      for (const path of ['out', 'dots', 'encoded']) {
        const problem = await expectProblem(await variant(`w=10/@t/${path}`), 403, 'source_refused');
        expect(problem.reason, path).toBe('outside_base');
      }
      expect(server.count('/other/final.png')).toBe(0);
      expect(server.count('/secret.png')).toBe(0);
    });

    it('refuses a redirect to another scheme; a redirect without Location is a 502', async () => {
      expect((await expectProblem(await variant('w=10/@t/ftp'), 403, 'source_refused')).reason).toBe(
        'scheme',
      );
      await expectProblem(await variant('w=10/@t/nowhere'), 502, 'source_error');
      await expectProblem(await variant('w=10/@t/badloc'), 502, 'source_error');
    });
  });

  it.each([
    ['text', 415, 'unsupported_media_type', 'note.png', () => Promise.resolve(garbage()), 'unsupported_type'],
    [
      'SVG',
      415,
      'unsupported_media_type',
      'vector.svg',
      () => Promise.resolve(svgImage()),
      'unsupported_type',
    ],
    ['a decompression bomb', 422, 'image_too_large', 'bomb.png', () => pixelBombPng(), 'too_many_pixels'],
    ['a truncated JPEG', 422, 'invalid_image', 'cut.jpg', () => truncatedJpeg(), 'invalid_image'],
  ])(
    'refuses %s with the upload checks (%i %s), storing nothing',
    async (_what, status, code, path, make, reason) => {
      const bytes = await make();
      server.on(
        `/img/${path}`,
        imageHandler(() => bytes, { contentType: 'image/png' }),
      );
      const before = await origin.metric('imgedge_source_refusals_total', { reason });
      await expectProblem(await variant(`w=10/@t/${path}`), status, code);
      expect(await row(path)).toBeUndefined();
      expect(await origin.originals.exists(sha256Hex(bytes))).toBe(false);
      expect(await origin.metric('imgedge_source_refusals_total', { reason })).toBe(before + 1);
      await noTempFiles();
    },
  );

  it('an unknown source is a 404; a path not in canonical form is a 400 naming the canonical one', async () => {
    await expectProblem(await variant('w=10/@nosuch/photo.jpg'), 404, 'not_found');
    const problem = await expectProblem(await variant('w=10/@t/ph%6Fto.jpg'), 400, 'invalid_request');
    expect(problem.canonical).toBe('@t/photo.jpg');
    await expectProblem(await variant('w=10/@t/..%2fsecret.png'), 400, 'invalid_request');
    expect(server.count('/secret.png')).toBe(0);
  });

  describe('purge: DELETE /api/v1/sources/<name>/<path>', () => {
    let png: Buffer;
    beforeAll(async () => {
      png = await solidPng(BLUE, 50, 50);
      server.on(
        '/img/purge/me.png',
        imageHandler(() => png),
      );
    });

    it('needs images:write', async () => {
      await expectProblem(
        await fetch(`${origin.api}/sources/t/purge/me.png`, { method: 'DELETE' }),
        401,
        'invalid_token',
      );
      const reader = await origin.craftToken({ sub: 'reader', scope: 'images:read' });
      await expectProblem(await purge('t/purge/me.png', reader), 403, 'insufficient_scope');
      const res = await fetch(`${origin.api}/sources/t/purge/me.png`, {
        method: 'GET',
        headers: bearer(writer),
      });
      await expectProblem(res, 405, 'method_not_allowed');
      expect(res.headers.get('allow')).toBe('DELETE');
    });

    it('forgets the source and its bytes (204); the next request fetches it again', async () => {
      await ok(await variant('w=20/@t/purge/me.png'));
      expect(server.count('/img/purge/me.png')).toBe(1);
      const res = await purge('t/purge/me.png');
      expect(res.status).toBe(204);
      expect(await row('purge/me.png')).toBeUndefined();
      expect(await origin.originals.exists(sha256Hex(png))).toBe(false);
      await expectProblem(await purge('t/purge/me.png'), 404, 'not_found');
      await ok(await variant('w=20/@t/purge/me.png'));
      expect(server.count('/img/purge/me.png')).toBe(2);
    });

    it('with Prefer: return=representation, lists the variants for the edge to evict', async () => {
      const res = await purge('t/purge/me.png', writer, { prefer: 'return=representation' });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { id: string; variants: { path: string; format: string }[] };
      expect(body.id).toBe('@t/purge/me.png');
      expect(body.variants).toContainEqual({ path: '/img/w=20/@t/purge/me.png', format: 'webp' });
    });

    it('a negative entry purges too; unknown sources and bad paths are refused', async () => {
      await expectProblem(await variant('@t/purge/gone.png'), 404, 'not_found');
      expect((await purge('t/purge/gone.png')).status).toBe(204);
      await expectProblem(await purge('nosuch/a.png'), 404, 'not_found');
      await expectProblem(await purge('t/a/..%2f..%2fb.png'), 400, 'invalid_request');
    });
  });

  // With S3 the origin's in-memory cache of originals (ORIGINAL_CACHE_BYTES) still holds them.
  it.skipIf(testStorageKind === 's3')(
    'bytes missing from the store (removed behind its back) are fetched again, not a 404',
    async () => {
      const png = await solidPng(GREEN, 24, 24);
      server.on(
        '/img/heal.png',
        imageHandler(() => png),
      );
      await ok(await variant('w=10/@t/heal.png'));
      await origin.originals.remove(sha256Hex(png));
      // Another variant: not in the variant cache, so the original is read — and found missing.
      await ok(await variant('w=12/@t/heal.png'));
      expect(server.count('/img/heal.png')).toBe(2);
      expect(server.count('/img/heal.png', true)).toBe(0); // the whole image, not a 304
      expect(await origin.originals.exists(sha256Hex(png))).toBe(true);
    },
  );

  it('an upload and a source with the same bytes never delete each other’s', async () => {
    const bytes = await onePixelPng(BLUE);
    const sha = sha256Hex(bytes);
    server.on(
      '/img/shared.png',
      imageHandler(() => bytes),
    );
    const image = await uploadOk(origin, bytes, writer);
    await ok(await variant('w=1,f=png/@t/shared.png', ''));
    // Purging the source keeps the upload's bytes (and its variants).
    expect((await purge('t/shared.png')).status).toBe(204);
    expect(await origin.originals.exists(sha)).toBe(true);
    await ok(await variant(`w=1,f=png/${image.id}`, ''));
    // Deleting the image keeps the source's bytes.
    await ok(await variant('w=1,f=png/@t/shared.png', ''));
    const del = await fetch(`${origin.api}/images/${image.id}`, {
      method: 'DELETE',
      headers: bearer(writer),
    });
    expect(del.status).toBe(204);
    expect(await origin.originals.exists(sha)).toBe(true);
    await ok(await variant('w=1/@t/shared.png', 'format=jpeg'));
    // The last reference gone, the bytes go.
    expect((await purge('t/shared.png')).status).toBe(204);
    expect(await origin.originals.exists(sha)).toBe(false);
  });

  it('counts fetches by source and result, bytes and latency', async () => {
    const m = (name: string, labels: Record<string, string>) => origin.metric(name, labels);
    expect(await m('imgedge_source_fetches_total', { source: 't', result: 'fetched_200' })).toBeGreaterThan(
      3,
    );
    expect(await m('imgedge_source_fetches_total', { source: 't', result: 'not_found' })).toBeGreaterThan(0);
    expect(await m('imgedge_source_fetches_total', { source: 't', result: 'error' })).toBeGreaterThan(0);
    expect(await m('imgedge_source_fetches_total', { source: 't', result: 'refused' })).toBeGreaterThan(0);
    expect(await m('imgedge_source_fetch_bytes_total', { source: 't' })).toBeGreaterThan(photo.length);
    expect(
      await m('imgedge_source_fetch_duration_seconds_count', { source: 't', result: 'fetched_200' }),
    ).toBeGreaterThan(3);
    expect(await m('imgedge_source_refusals_total', { reason: 'outside_base' })).toBe(3);
    const { types } = parseExposition(await (await fetch(`${origin.url}/metrics`)).text());
    expect(types.get('imgedge_source_fetches_total')).toBe('counter');
    expect(types.get('imgedge_source_fetch_bytes_total')).toBe('counter');
    expect(types.get('imgedge_source_refusals_total')).toBe('counter');
    expect(types.get('imgedge_source_fetch_duration_seconds')).toBe('histogram');
    expect(
      origin.logs.some((l) => l.msg === 'source refused' && l.reason === 'outside_base' && l.request_id),
    ).toBe(true);
  });
});
