/**
 * wm= over real HTTP against a real origin and real sharp: golden pixels for gravity, margin,
 * opacity, scale, repeat, alpha over alpha, every frame of an animation; refusals; the watermark
 * decoded once (reads of the originals store counted by its own metric); a changed definition
 * never served stale; a deleted watermark image a clear 422.
 *
 * Watermarks name uploaded images by id, so the ids must exist before WATERMARKS is written: a
 * first origin takes the uploads, then origins configured with WATERMARKS run over the same
 * database and upload folder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../../origin/config/load.js';
import { createLogger } from '../../../origin/observability/logger.js';
import { type RunningServer, startServer } from '../../../origin/server.js';
import { canonicalize, type ImageOptions, parseOptions } from '../../../shared/options/index.js';
import { describeDb } from '../../support/db.js';
import { scrapeMetric } from '../../support/metrics.js';
import { originEnv, startTestOrigin, TEST_ORIGIN_TOKEN, type TestOrigin } from '../../support/origin.js';
import { expectProblem, type ImageRecord, uploadOk } from './helpers.js';

const BLUE = { r: 0, g: 0, b: 255 };
const RED = { r: 255, g: 0, b: 0 };
/** A colour that dividing by its alpha again would change (to ≈ 200, 100, 40). */
const VEIL = { r: 100, g: 50, b: 20 };

let first: TestOrigin;
let token: string;
let base: ImageRecord; // 400×300 flat blue PNG
let clear: ImageRecord; // 400×300 fully transparent PNG
let anim: ImageRecord; // 120×90 GIF, 3 frames: blue, green, grey
let animWebp: ImageRecord; // the same frames as an animated WebP, 80/120/160 ms, 2 loops
let framed: ImageRecord; // 400×300: a white border 50 px wide around blue
let mark: ImageRecord; // 80×40 opaque red PNG
let halfMark: ImageRecord; // 80×40 red PNG, alpha 128
let veil: ImageRecord; // 400×300 PNG, VEIL at alpha 128
let scratch: string;
const servers: RunningServer[] = [];

const flat = (width: number, height: number, colour: object, channels: 3 | 4 = 3) =>
  sharp({ create: { width, height, channels, background: colour } })
    .png()
    .toBuffer();

function watermarks(overrides: Record<string, object> = {}): string {
  return JSON.stringify({
    corner: { image: mark.id, gravity: 'southeast', scale: 0.25, margin: 10 },
    faded: { image: mark.id, gravity: 'northwest', scale: 0.25, opacity: 0.5 },
    tiles: { image: mark.id, scale: 0.1, margin: 10, repeat: true },
    glass: { image: halfMark.id, gravity: 'center', scale: 0.5 },
    ...overrides,
  });
}

/** Another origin on the first one's database and originals, with its own variant folder. */
async function originWith(env: Record<string, string>): Promise<string> {
  const output = await mkdtemp(join(scratch, 'variants-'));
  // The first origin's storage: its folder, or (IMGEDGE_TEST_STORAGE=s3) its bucket.
  const config = loadConfig(originEnv({ upload: first.dirs.upload, output }, { ...first.s3?.env, ...env }));
  const sink = new Writable({ write: (_c, _e, done) => done() });
  const server = await startServer(config, createLogger({ level: 'silent', destination: sink }), {
    db: first.db,
  });
  servers.push(server);
  return server.url;
}

/** A variant path as written (for refusals). */
function rawVariant(url: string, path: string, query = '') {
  return fetch(`${url}/internal/v1/variants/${path}${query}`, {
    headers: { authorization: `Bearer ${TEST_ORIGIN_TOKEN}` },
  });
}

/** `<options>/<id>`, asked in canonical form with an explicit format (png unless given). */
function variant(url: string, path: string, format = 'png') {
  const slash = path.lastIndexOf('/');
  const given = parseOptions(path.slice(0, slash));
  const options = canonicalize({ f: format as ImageOptions['f'], ...given });
  return fetch(`${url}/internal/v1/variants/${options}/${path.slice(slash + 1)}`, {
    headers: { authorization: `Bearer ${TEST_ORIGIN_TOKEN}` },
  });
}

interface Raster {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
  pageHeight: number;
  pages: number;
  delay: number[] | undefined;
  loop: number | undefined;
}

async function raster(res: Response): Promise<Raster> {
  const text = res.status === 200 ? '' : await res.clone().text();
  expect(res.status, text).toBe(200);
  const bytes = Buffer.from(await res.arrayBuffer());
  const meta = await sharp(bytes, { animated: true }).metadata();
  const { data, info } = await sharp(bytes, { animated: true }).raw().toBuffer({ resolveWithObject: true });
  const pages = meta.pages ?? 1;
  return {
    ...info,
    data,
    pages,
    pageHeight: meta.pageHeight ?? info.height,
    delay: meta.delay,
    loop: meta.loop,
  };
}

function pixel(r: Raster, x: number, y: number, page = 0): number[] {
  const at = ((page * r.pageHeight + y) * r.width + x) * r.channels;
  return [...r.data.subarray(at, at + r.channels)];
}

const isRed = (p: number[]) => (p[0] as number) > 200 && (p[1] as number) < 50 && (p[2] as number) < 50;

function expectColour(p: number[], c: { r: number; g: number; b: number }, tolerance = 3) {
  for (const [i, v] of [c.r, c.g, c.b].entries())
    expect(Math.abs((p[i] as number) - v), `${p}`).toBeLessThanOrEqual(tolerance);
}

/** The bounding box of the red pixels of one frame. */
function redBox(r: Raster, page = 0) {
  let left = Infinity;
  let top = Infinity;
  let right = -1;
  let bottom = -1;
  for (let y = 0; y < r.pageHeight; y++) {
    for (let x = 0; x < r.width; x++) {
      if (!isRed(pixel(r, x, y, page))) continue;
      left = Math.min(left, x);
      top = Math.min(top, y);
      right = Math.max(right, x);
      bottom = Math.max(bottom, y);
    }
  }
  return { left, top, width: right - left + 1, height: bottom - top + 1 };
}

const gets = (url: string) =>
  scrapeMetric(url, 'imgedge_storage_operation_duration_seconds_count', { operation: 'get' });

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'imgedge-wm-'));
  first = await startTestOrigin();
  token = await first.craftToken({ sub: 'wm-owner' });
  base = await uploadOk(first, await flat(400, 300, BLUE), token);
  clear = await uploadOk(first, await flat(400, 300, { r: 0, g: 0, b: 0, alpha: 0 }, 4), token);
  mark = await uploadOk(first, await flat(80, 40, RED), token);
  const inner = await flat(300, 200, BLUE);
  framed = await uploadOk(
    first,
    await sharp({ create: { width: 400, height: 300, channels: 3, background: { r: 255, g: 255, b: 255 } } })
      .composite([{ input: inner, left: 50, top: 50 }])
      .png()
      .toBuffer(),
    token,
  );
  halfMark = await uploadOk(first, await flat(80, 40, { ...RED, alpha: 128 / 255 }, 4), token);
  veil = await uploadOk(first, await flat(400, 300, { ...VEIL, alpha: 128 / 255 }, 4), token);
  const frames = await Promise.all(
    [BLUE, { r: 0, g: 255, b: 0 }, { r: 128, g: 128, b: 128 }].map((c) => flat(120, 90, c)),
  );
  const gif = await sharp(frames, { join: { animated: true } })
    .gif({ delay: [100, 100, 100], loop: 0 })
    .toBuffer();
  anim = await uploadOk(first, gif, token);
  const webp = await sharp(frames, { join: { animated: true } })
    .webp({ delay: [80, 120, 160], loop: 2, lossless: true })
    .toBuffer();
  animWebp = await uploadOk(first, webp, token);
});

afterAll(async () => {
  for (const server of servers) await server.shutdown().catch(() => {});
  await first?.close();
  await rm(scratch, { recursive: true, force: true });
});

describeDb('origin: wm= watermarks', () => {
  it('sits at its gravity, margin pixels in, scale × the output width wide, base colour elsewhere', async () => {
    const url = await originWith({ WATERMARKS: watermarks() });
    const r = await raster(await variant(url, `w=400,wm=corner/${base.id}`));
    expect([r.width, r.height]).toEqual([400, 300]);
    // 0.25 × 400 = 100 wide, 2:1 like the image → 50 high; southeast, 10 px from both edges.
    expect(redBox(r)).toEqual({ left: 290, top: 240, width: 100, height: 50 });
    expectColour(pixel(r, 340, 265), RED);
    for (const [x, y] of [
      [5, 5],
      [395, 295],
      [285, 265],
      [340, 235],
      [200, 150],
      [5, 295],
    ] as const) {
      expectColour(pixel(r, x, y), BLUE);
    }
    // The scale follows the output's width.
    const small = await raster(await variant(url, `w=200,wm=corner/${base.id}`));
    expect(redBox(small)).toEqual({ left: 140, top: 115, width: 50, height: 25 });
  });

  it('multiplies the image alpha by the opacity', async () => {
    const url = await originWith({ WATERMARKS: watermarks() });
    const r = await raster(await variant(url, `wm=faded/${base.id}`));
    // Red at half opacity over blue ≈ (128, 0, 127).
    expectColour(pixel(r, 50, 25), { r: 128, g: 0, b: 127 }, 3);
    expectColour(pixel(r, 150, 25), BLUE);
    expectColour(pixel(r, 50, 60), BLUE);
  });

  it('repeat tiles it over the whole output, margin pixels apart', async () => {
    const url = await originWith({ WATERMARKS: watermarks() });
    const r = await raster(await variant(url, `wm=tiles/${base.id}`));
    // 40×20 tiles every 50 px across and 30 px down, from the top-left corner.
    for (const [x, y] of [
      [5, 5],
      [55, 5],
      [355, 5],
      [5, 35],
      [205, 155],
      [375, 275],
    ] as const) {
      expect(isRed(pixel(r, x, y)), `tile at ${x},${y}`).toBe(true);
    }
    for (const [x, y] of [
      [45, 5],
      [5, 25],
      [95, 95],
      [395, 295],
    ] as const) {
      expectColour(pixel(r, x, y), BLUE);
    }
  });

  it('an alpha watermark over an alpha output blends alpha, and leaves the rest transparent', async () => {
    const url = await originWith({ WATERMARKS: watermarks() });
    const r = await raster(await variant(url, `wm=glass/${clear.id}`));
    expect(r.channels).toBe(4);
    // 200×100 at the centre of 400×300: 100..299 × 100..199.
    const inside = pixel(r, 200, 150);
    expectColour(inside, RED, 2);
    expect(Math.abs((inside[3] as number) - 128)).toBeLessThanOrEqual(2);
    expect(pixel(r, 50, 50)[3]).toBe(0);
    expect(pixel(r, 200, 90)[3]).toBe(0);
    // Over an opaque base the same watermark blends half and half.
    const over = await raster(await variant(url, `wm=glass/${base.id}`));
    expectColour(pixel(over, 200, 150), { r: 128, g: 0, b: 127 }, 3);
  });

  it.each([
    ['w=200,wm=corner', 'png'],
    ['wm=corner', 'png'],
    ['w=200,wm=corner', 'webp'],
  ])('a half-transparent output keeps its colours around the watermark (%s, %s)', async (options, format) => {
    const url = await originWith({ WATERMARKS: watermarks() });
    const r = await raster(await variant(url, `${options}/${veil.id}`, format));
    const around = pixel(r, 20, 20);
    expectColour(around, VEIL, 3);
    expect(Math.abs((around[3] as number) - 128), `${around}`).toBeLessThanOrEqual(2);
    expect(isRed(pixel(r, r.width - 15, r.height - 15))).toBe(true);
  });

  it.each([
    ['GIF', 'webp'],
    ['GIF', 'gif'],
    ['WebP', 'webp'],
    ['WebP', 'gif'],
  ])('every frame of an animated %s → %s output gets it, timing kept', async (source, format) => {
    const url = await originWith({ WATERMARKS: watermarks() });
    const id = source === 'GIF' ? anim.id : animWebp.id;
    const r = await raster(await variant(url, `wm=corner/${id}`, format));
    expect(r.pages).toBe(3);
    expect(r.pageHeight).toBe(90);
    expect(r.delay).toEqual(source === 'GIF' ? [100, 100, 100] : [80, 120, 160]);
    expect(r.loop).toBe(source === 'GIF' ? 0 : 2);
    const colours = [BLUE, { r: 0, g: 255, b: 0 }, { r: 128, g: 128, b: 128 }];
    for (const [page, colour] of colours.entries()) {
      // 30×15 at 120-30-10, 90-15-10.
      expect(isRed(pixel(r, 95, 72, page)), `frame ${page}`).toBe(true);
      expectColour(pixel(r, 20, 20, page), colour, 12);
      expectColour(pixel(r, 115, 85, page), colour, 12);
    }
  });

  it('is placed on the real output: after trim, whose size only the decode knows', async () => {
    const url = await originWith({ WATERMARKS: watermarks() });
    const r = await raster(await variant(url, `trim=10,wm=corner/${framed.id}`));
    expect([r.width, r.height]).toEqual([300, 200]);
    // 0.25 × 300 = 75 wide, 38 high; 10 px from the trimmed image's bottom-right corner.
    expect(redBox(r)).toEqual({ left: 215, top: 152, width: 75, height: 38 });
  });

  it('repeat tiles every frame of an animation', async () => {
    const url = await originWith({ WATERMARKS: watermarks() });
    const r = await raster(await variant(url, `wm=tiles/${anim.id}`, 'webp'));
    expect(r.pages).toBe(3);
    // 12×6 tiles every 22 px across and 16 px down.
    for (let page = 0; page < 3; page++) {
      for (const [x, y] of [
        [5, 2],
        [27, 2],
        [5, 18],
        [93, 82],
      ] as const) {
        expect(isRed(pixel(r, x, y, page)), `frame ${page} at ${x},${y}`).toBe(true);
      }
      expect(isRed(pixel(r, 17, 10, page)), `frame ${page} gap`).toBe(false);
    }
  });

  it('refuses unknown, malformed and over-long names', async () => {
    const url = await originWith({ WATERMARKS: watermarks() });
    const unknown = await expectProblem(await variant(url, `wm=nosuch/${base.id}`), 400, 'unknown_watermark');
    expect(unknown.key).toBe('wm');
    expect(unknown.detail).toContain('nosuch');
    for (const name of ['Corner', 'a'.repeat(33), 'a.b', '', '-x', 'a%2Fb']) {
      const problem = await expectProblem(
        await rawVariant(url, `f=png,wm=${name}/${base.id}`),
        400,
        'invalid_option',
      );
      expect(problem.key).toBe('wm');
    }
    // No WATERMARKS at all: every name is unknown.
    await expectProblem(await variant(first.url, `wm=corner/${base.id}`), 400, 'unknown_watermark');
  });

  it('decodes the watermark once: later variants never read it from storage again', async () => {
    const url = await originWith({ WATERMARKS: watermarks() });
    const measure = async (paths: string[]) => {
      const before = await gets(url);
      for (const path of paths) expect((await variant(url, path)).status).toBe(200);
      return (await gets(url)) - before;
    };
    const plain = await measure([111, 112, 113].map((w) => `w=${w}/${base.id}`));
    const firstWm = await measure([121, 122, 123].map((w) => `w=${w},wm=corner/${base.id}`));
    const laterWm = await measure([131, 132, 133].map((w) => `w=${w},wm=corner/${base.id}`));
    // The first watermarked variants read the watermark image once; later ones not at all.
    expect(firstWm).toBe(laterWm + 1);
    expect(laterWm).toBeLessThanOrEqual(plain);
  });

  it('a changed definition makes a new variant (ETag, variant caches), never the stale one', async () => {
    const output = await mkdtemp(join(scratch, 'shared-variants-'));
    const before = await originWith({ WATERMARKS: watermarks(), OUTPUT_DIR: output });
    const path = `w=400,wm=corner/${base.id}`;
    const a = await variant(before, path);
    expect(a.headers.get('x-variant-cache')).toBe('MISS');
    const again = await variant(before, path);
    expect(again.headers.get('x-variant-cache')).toBe('HIT');
    expect(again.headers.get('etag')).toBe(a.headers.get('etag'));
    const changed = {
      corner: { image: mark.id, gravity: 'northwest', scale: 0.25, margin: 10 },
    };
    const after = await originWith({ WATERMARKS: watermarks(changed), OUTPUT_DIR: output });
    const b = await variant(after, path);
    expect(b.headers.get('x-variant-cache')).toBe('MISS');
    expect(b.headers.get('etag')).not.toBe(a.headers.get('etag'));
    expect(redBox(await raster(b))).toEqual({ left: 10, top: 10, width: 100, height: 50 });
    // Variants without a watermark keep their ETag across the change.
    const plainBefore = await variant(before, `w=400/${base.id}`);
    const plainAfter = await variant(after, `w=400/${base.id}`);
    expect(plainAfter.headers.get('etag')).toBe(plainBefore.headers.get('etag'));
  });

  it('a deleted watermark image is a 422 watermark_unavailable, cached variants included; f=json still answers', async () => {
    const owner = await first.craftToken({ sub: 'wm-deleter' });
    const doomed = await uploadOk(first, await flat(60, 60, { r: 250, g: 10, b: 10 }), owner);
    const url = await originWith({
      WATERMARKS: JSON.stringify({ doomed: { image: doomed.id, gravity: 'center', scale: 0.2 } }),
    });
    expect((await variant(url, `w=300,wm=doomed/${base.id}`)).status).toBe(200);
    const info = await rawVariant(url, `w=300,f=json,wm=doomed/${base.id}`, '?format=webp');
    expect(info.status).toBe(200);
    expect(await info.json()).toMatchObject({ width: 300, height: 225 });
    const deleted = await fetch(`${url}${first.config.apiPrefix}/images/${doomed.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${owner}` },
    });
    expect(deleted.status).toBe(204);
    const problem = await expectProblem(
      await variant(url, `w=300,wm=doomed/${base.id}`),
      422,
      'watermark_unavailable',
    );
    expect(problem.watermark).toBe('doomed');
    expect(problem.detail).toContain('deleted');
    await expectProblem(await variant(url, `w=301,wm=doomed/${base.id}`), 422, 'watermark_unavailable');
    // The base image is unharmed.
    expect((await variant(url, `w=300/${base.id}`)).status).toBe(200);
  });
});
