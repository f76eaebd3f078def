/**
 * Mezzanines through the real origin over HTTP (real sharp, the test database, local folder or
 * s3rver with IMGEDGE_TEST_STORAGE=s3): made in the background after the 201, used by a variant
 * only when it holds enough pixels (crop, dpr, large widths, trim: the original), made lazily
 * when missing, none for small originals, orientation/ICC/alpha the same as from the original,
 * removed with the last image naming the bytes. Which source a variant came from is seen by
 * swapping the stored mezzanine for a flat red image of the same size: red output = mezzanine.
 */
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ssim } from '../../../bench/ssim.js';
import { createMezzanineStore } from '../../../origin/mezzanine/create.js';
import {
  MEZZANINE_LEVELS,
  MEZZANINE_VERSION,
  type MezzanineLevelName,
} from '../../../origin/mezzanine/policy.js';
import type { MezzanineStore } from '../../../origin/mezzanine/store.js';
import { transform } from '../../../origin/transform/index.js';
import { VariantService } from '../../../origin/variants/service.js';
import { canonicalize, parseOptions, parseRequestedFormat } from '../../../shared/options/index.js';
import { describeDb } from '../../support/db.js';
import { photoJpeg } from '../../support/images.js';
import { startTestOrigin, type TestOrigin } from '../../support/origin.js';
import { bearer, type ImageRecord, ownerToken } from '../api/helpers.js';
import { iccDescription } from '../transform/helpers.js';

let origin: TestOrigin;
let store: MezzanineStore;

beforeAll(async () => {
  // Levels are swapped in the store behind the origin's back (never done to content-addressed
  // objects in production): with IMGEDGE_TEST_STORAGE=s3 the origin must not hold them in memory.
  origin = await startTestOrigin({ MEZZANINES: 'true', ORIGINAL_CACHE_BYTES: '0' });
  store = createMezzanineStore(origin.config);
});
afterAll(() => origin?.close());

/** A 3200×2400 photo-like JPEG (a small scene scaled up: cheap to make), distinct per seed. */
async function bigJpeg(seed: number, extra?: (image: Sharp) => Sharp): Promise<Buffer> {
  const small = await photoJpeg(320, 240, seed);
  const image = sharp(small).resize(3200, 2400, { kernel: 'cubic' });
  return (extra ? extra(image) : image).jpeg({ quality: 90 }).toBuffer();
}

/** A 1600×1600 RGBA PNG with soft alpha and colour, distinct per seed. */
async function alphaPng(seed: number): Promise<Buffer> {
  const small = await photoJpeg(160, 160, seed);
  const mask = await sharp(
    Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="160"><rect width="160" height="160"/><circle cx="80" cy="80" r="60" fill="#fff"/></svg>',
    ),
  )
    .blur(4)
    .extractChannel(0)
    .toBuffer();
  return sharp(small).joinChannel(mask).resize(1600, 1600, { kernel: 'cubic' }).png().toBuffer();
}

async function upload(
  bytes: Buffer,
  token: string,
  type = 'image/jpeg',
  again = false,
): Promise<ImageRecord> {
  const res = await origin.upload(bytes, token, type);
  const text = await res.text();
  expect(res.status, text).toBe(again ? 200 : 201);
  return JSON.parse(text) as ImageRecord;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A stored mezzanine level (every level unless named) replaced by flat red of the same size and format. */
async function redMezzanine(
  sha256: string,
  levels: readonly MezzanineLevelName[] = MEZZANINE_LEVELS,
): Promise<void> {
  for (const level of levels) await redLevel(sha256, level);
}

async function redLevel(sha256: string, level: MezzanineLevelName): Promise<void> {
  const current = await waitFor(`mezzanine level ${level}`, () => store.get(sha256, level));
  const meta = await sharp(current).metadata();
  const red = sharp({
    create: {
      width: meta.width,
      height: meta.height,
      channels: meta.hasAlpha ? 4 : 3,
      background: '#ff0000',
    },
  });
  await store.put(sha256, level, await (meta.format === 'png' ? red.png() : red.jpeg()).toBuffer());
}

async function variant(options: string, id: string): Promise<{ res: Response; data: Buffer }> {
  const res = await origin.variant(`${canonicalize(parseOptions(options))}/${id}`);
  const data = Buffer.from(await res.arrayBuffer());
  expect(res.status, data.toString().slice(0, 300)).toBe(200);
  return { res, data };
}

/**
 * Upload a large original and wait until its background mezzanine is made: every level stored
 * (the `made` counter moved), so a level swapped afterwards cannot be overwritten by that make.
 */
async function uploadMade(bytes: Buffer, token: string): Promise<ImageRecord> {
  const before = await origin.metric('imgedge_mezzanine_total', { event: 'made' });
  const record = await upload(bytes, token);
  await waitFor('the background mezzanine', async () =>
    (await origin.metric('imgedge_mezzanine_total', { event: 'made' })) > before ? true : undefined,
  );
  return record;
}

/** Which levels of an original's mezzanine the store holds. */
async function levelsOf(sha256: string): Promise<MezzanineLevelName[]> {
  const held = await Promise.all(MEZZANINE_LEVELS.map((level) => store.has(sha256, level)));
  return MEZZANINE_LEVELS.filter((_, i) => held[i]);
}

/** Whether an image is (mostly) pure red: made from the swapped mezzanine. */
async function isRed(data: Buffer): Promise<boolean> {
  const { channels } = await sharp(data).removeAlpha().stats();
  return channels[0]!.mean > 240 && channels[1]!.mean < 15 && channels[2]!.mean < 15;
}

describeDb('mezzanines through the origin', () => {
  it('after the 201, a 2048 and a 1024 px sRGB PNG mezzanine appear beside the original, tagged sRGB as it was', async () => {
    const token = await ownerToken(origin, 'mezz-bg');
    // The original carries a Display P3 profile: the levels hold sRGB pixels tagged with the compact sRGB one.
    const record = await upload(await bigJpeg(1, (image) => image.withIccProfile('p3')), token);
    for (const [level, width, height] of [
      [2048, 2048, 1536],
      [1024, 1024, 768],
    ] as const) {
      const mezz = await waitFor('the background mezzanine', () => store.get(record.sha256, level));
      const meta = await sharp(mezz).metadata();
      expect([meta.format, meta.width, meta.height, meta.orientation, meta.hasProfile]).toEqual([
        'png',
        width,
        height,
        undefined,
        true,
      ]);
      expect(iccDescription(meta.icc as Buffer)).toBe('sRGB');
      expect(meta.xmp).toBeUndefined();
    }
    expect(await origin.metric('imgedge_mezzanine_total', { event: 'made' })).toBeGreaterThanOrEqual(1);
  });

  it('is used when it holds enough pixels, and not for large widths, dpr, tight crops or trim', async () => {
    const token = await ownerToken(origin, 'mezz-use');
    const record = await uploadMade(await bigJpeg(2), token);
    await redMezzanine(record.sha256);
    const used = [
      'w=800,f=webp',
      'w=1280,f=jpeg',
      'w=640,dpr=2,f=webp',
      'w=500,h=500,fit=cover,f=webp',
      'w=300,h=300,fit=cover,g=0.2x0.7,f=webp',
      'w=400,rot=90,f=jpeg',
      'w=320,f=webp',
    ];
    const notUsed = [
      'w=1920,f=webp',
      'w=800,dpr=3,f=webp',
      'w=200,h=1800,fit=cover,f=webp',
      'w=800,trim=10,f=webp',
      'f=webp',
    ];
    for (const options of used)
      expect(await isRed((await variant(options, record.id)).data), options).toBe(true);
    for (const options of notUsed)
      expect(await isRed((await variant(options, record.id)).data), options).toBe(false);
  });

  it('a variant uses the smallest level with enough pixels, but not one it would shrink below half', async () => {
    const token = await ownerToken(origin, 'mezz-level');
    const record = await uploadMade(await bigJpeg(9), token);
    await waitFor('the top level', () => store.get(record.sha256, 2048));
    await redMezzanine(record.sha256, [1024]);
    // 3200 px original: the 1024 level serves 512…930 px outputs; the 2048 level the rest up to 1861.
    for (const [options, fromSmall] of [
      ['w=800,f=webp', true],
      ['w=930,f=webp', true],
      ['w=520,f=webp', true],
      ['w=400,dpr=2,f=webp', true],
      ['w=940,f=webp', false],
      ['w=500,f=webp', false],
      ['w=1280,f=webp', false],
    ] as const)
      expect(await isRed((await variant(options, record.id)).data), options).toBe(fromSmall);
  });

  it('a variant from the mezzanine has its own ETag (pipeline version), stable on a cache hit', async () => {
    const token = await ownerToken(origin, 'mezz-etag');
    const record = await upload(await bigJpeg(3), token);
    await waitFor('the mezzanine', () => store.get(record.sha256, 1024));
    const fromMezz = await variant('w=800,f=webp', record.id);
    const fromOriginal = await variant('w=1920,f=webp', record.id);
    // A variant from the mezzanine has its own revision (`m<version>`), part of its ETag.
    const etag = (canonical: string, revision: string) => {
      const options = parseOptions(canonical);
      const requested = parseRequestedFormat(options, undefined);
      return VariantService.etag(record.sha256, { options, canonical, requested }, revision);
    };
    expect(fromMezz.res.headers.get('etag')).toBe(etag('w=800,f=webp', `m${MEZZANINE_VERSION}`));
    expect(fromOriginal.res.headers.get('etag')).toBe(etag('w=1920,f=webp', ''));
    expect(fromMezz.res.headers.get('etag')).not.toBe(etag('w=800,f=webp', ''));
    const again = await variant('w=800,f=webp', record.id);
    expect(again.res.headers.get('x-variant-cache')).toBe('HIT');
    expect(again.res.headers.get('etag')).toBe(fromMezz.res.headers.get('etag'));
  });

  it('a missing mezzanine is made on the first variant that uses it', async () => {
    const token = await ownerToken(origin, 'mezz-lazy');
    const record = await upload(await bigJpeg(4), token);
    await waitFor('the mezzanine', () => store.get(record.sha256, 1024));
    await store.remove(record.sha256);
    expect(await levelsOf(record.sha256)).toEqual([]);
    await variant('w=640,f=webp', record.id);
    expect(await levelsOf(record.sha256)).toEqual([2048, 1024]);
  });

  it('small originals get none (and their variants are made from the original)', async () => {
    const token = await ownerToken(origin, 'mezz-small');
    const record = await upload(await photoJpeg(800, 600, 5), token);
    await variant('w=400,f=webp', record.id);
    await new Promise((r) => setTimeout(r, 300));
    expect(await levelsOf(record.sha256)).toEqual([]);
  });

  it('orientation, ICC and alpha: the same variant as from the original (SSIM ≥ 0.99 on lossless output)', async () => {
    const token = await ownerToken(origin, 'mezz-fidelity');
    const rotated = await bigJpeg(6, (image) => image.withMetadata({ orientation: 6 }).withIccProfile('p3'));
    const alpha = await alphaPng(7);
    for (const [bytes, type, options, again] of [
      [rotated, 'image/jpeg', { w: 600, f: 'png' }, false],
      [alpha, 'image/png', { w: 700, f: 'png' }, false],
      [alpha, 'image/png', { w: 700, f: 'webp' }, true],
    ] as const) {
      const record = await upload(bytes, token, type, again);
      await waitFor('the mezzanine', () => store.get(record.sha256, 1024));
      const canonical = canonicalize(options);
      const made = (await variant(canonical, record.id)).data;
      const reference = (await transform({ input: bytes, options })).data;
      const [m, r] = await Promise.all([sharp(made).metadata(), sharp(reference).metadata()]);
      expect([m.width, m.height, m.hasAlpha, m.hasProfile]).toEqual([
        r.width,
        r.height,
        r.hasAlpha,
        r.hasProfile,
      ]);
      // The P3 original's variant carries the compact sRGB profile, kept from the level as it is;
      // the untagged PNG's none.
      const none = Buffer.alloc(0);
      expect(Buffer.compare(m.icc ?? none, r.icc ?? none), `${type} ${canonical} profile`).toBe(0);
      expect(await ssim(made, reference), `${type} ${canonical}`).toBeGreaterThanOrEqual(0.99);
    }
  });

  it('goes with the last image naming the bytes (refcounted like the original)', async () => {
    const bytes = await bigJpeg(8);
    const a = await upload(bytes, await ownerToken(origin, 'mezz-del-a'));
    const bToken = await ownerToken(origin, 'mezz-del-b');
    const b = await upload(bytes, bToken);
    await waitFor('the mezzanine', () => store.get(a.sha256, 1024));
    const del = (id: string, owner: string) =>
      ownerToken(origin, owner).then((t) =>
        fetch(`${origin.api}/images/${id}`, { method: 'DELETE', headers: bearer(t) }),
      );
    expect((await del(a.id, 'mezz-del-a')).status).toBe(204);
    expect(await levelsOf(a.sha256)).toEqual([2048, 1024]);
    expect((await del(b.id, 'mezz-del-b')).status).toBe(204);
    expect(await levelsOf(a.sha256)).toEqual([]);
    expect(await origin.originals.exists(a.sha256)).toBe(false);
  });
});
