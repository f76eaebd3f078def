/**
 * Mezzanine levels read from S3 go through the in-memory cache the originals share
 * (origin/mezzanine/cached-store.ts, storage/byte-cache.ts), on a real s3rver, counting the
 * requests it saw: through an origin (cold variants of one image read no level from the bucket
 * after the make; ORIGINAL_CACHE_BYTES=0 reads one per variant) and on the store itself (a stored
 * level is held, remove() drops it, one budget with the originals).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedMezzanineStore } from '../../../origin/mezzanine/cached-store.js';
import { createMezzanineStore } from '../../../origin/mezzanine/create.js';
import { mezzanineKey, S3MezzanineStore } from '../../../origin/mezzanine/store.js';
import { ByteCache } from '../../../origin/storage/byte-cache.js';
import { CachedOriginalStore } from '../../../origin/storage/original-cache.js';
import { originalKey } from '../../../origin/storage/originals.js';
import { S3OriginalStore } from '../../../origin/storage/s3.js';
import { createS3Client } from '../../../origin/storage/s3-client.js';
import { testDbKind } from '../../support/db.js';
import { photoJpeg } from '../../support/images.js';
import { startTestOrigin, type TestOrigin } from '../../support/origin.js';
import { startS3, type TestS3 } from '../../support/s3.js';
import { bearer, ownerToken, uploadOk } from '../api/helpers.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Requests of `method` s3rver received for `key`. */
function requestsFor(s3: TestS3, method: string, key: string): number {
  const path = `/${s3.bucket}/${key}`;
  return s3.requests.filter((r) => r.method === method && r.url.split('?')[0] === path).length;
}

/** A 3200×2400 JPEG: levels 2048 and 1024 (3200 px is more than 2048 × 1.25). */
async function bigJpeg(seed: number): Promise<Buffer> {
  const small = await photoJpeg(320, 240, seed);
  return sharp(small).resize(3200, 2400, { kernel: 'cubic' }).jpeg({ quality: 90 }).toBuffer();
}

describe(`mezzanine levels read from S3, through an origin [${testDbKind}]`, () => {
  let s3: TestS3;
  let cached: TestOrigin;
  let uncached: TestOrigin;
  beforeAll(async () => {
    s3 = await startS3();
    cached = await startTestOrigin({ ...s3.env, MEZZANINES: 'true' });
    uncached = await startTestOrigin({ ...s3.env, MEZZANINES: 'true', ORIGINAL_CACHE_BYTES: '0' });
  });
  afterAll(async () => {
    await cached?.close();
    await uncached?.close();
    await s3?.destroy();
  });

  /** Upload, wait until the background make stored the levels; the image's id and sha256. */
  async function uploadMade(origin: TestOrigin, seed: number) {
    const before = await origin.metric('imgedge_mezzanine_total', { event: 'made' });
    const image = await uploadOk(origin, await bigJpeg(seed), await ownerToken(origin, `mc-${seed}`));
    const until = Date.now() + 30_000;
    while ((await origin.metric('imgedge_mezzanine_total', { event: 'made' })) <= before) {
      if (Date.now() > until) throw new Error('timed out waiting for the background mezzanine');
      await new Promise((r) => setTimeout(r, 100));
    }
    return image;
  }

  /** Cold 600, 700 and 800 px WebPs: all three from the 1024 level. */
  async function coldVariants(origin: TestOrigin, id: string): Promise<void> {
    for (const w of [600, 700, 800]) {
      const res = await origin.variant(`w=${w}/${id}`, 'format=webp');
      expect(res.status, await res.clone().text()).toBe(200);
      expect(res.headers.get('server-timing')).toContain('cache;desc=miss');
    }
  }

  it('cold variants of one image read the level the make stored from memory, not the bucket', async () => {
    const image = await uploadMade(cached, 61);
    const level = mezzanineKey(image.sha256, 1024);
    expect(requestsFor(s3, 'PUT', level)).toBe(1);
    const originalReads = requestsFor(s3, 'GET', originalKey(image.sha256)); // the make's
    await coldVariants(cached, image.id);
    expect(requestsFor(s3, 'GET', level)).toBe(0);
    expect(await cached.metric('imgedge_original_cache_total', { kind: 'mezzanine', event: 'hit' })).toBe(3);
    // Nor was the original read for them.
    expect(requestsFor(s3, 'GET', originalKey(image.sha256))).toBe(originalReads);
  });

  it('ORIGINAL_CACHE_BYTES=0: every cold variant reads the level from the bucket', async () => {
    const image = await uploadMade(uncached, 62);
    await coldVariants(uncached, image.id);
    expect(requestsFor(s3, 'GET', mezzanineKey(image.sha256, 1024))).toBe(3);
  });

  it('a deleted image leaves no level in memory: the same bytes uploaded again are made again', async () => {
    const image = await uploadMade(cached, 63);
    const token = await ownerToken(cached, 'mc-63');
    const res = await fetch(`${cached.api}/images/${image.id}`, { method: 'DELETE', headers: bearer(token) });
    expect(res.status).toBe(204);
    const again = await uploadMade(cached, 63);
    expect(again.sha256).toBe(image.sha256);
    expect(requestsFor(s3, 'PUT', mezzanineKey(image.sha256, 1024))).toBe(2);
  });
});

describe('CachedMezzanineStore on s3rver', () => {
  let s3: TestS3;
  let tempDir: string;
  let levels: S3MezzanineStore;
  let originals: S3OriginalStore;
  beforeAll(async () => {
    s3 = await startS3();
    tempDir = await mkdtemp(join(tmpdir(), 'imgedge-mc-'));
    const client = createS3Client(s3.config);
    levels = new S3MezzanineStore({ client, bucket: s3.bucket, prefix: '' });
    originals = new S3OriginalStore({ client, bucket: s3.bucket, prefix: '', tempDir });
    await originals.init();
  });
  afterAll(async () => {
    await s3?.destroy();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  });

  const fakeSha = () => sha256(randomBytes(16));

  it('a level it stores is held: get and has answer without a request', async () => {
    const store = new CachedMezzanineStore(levels, new ByteCache({ maxBytes: 1 << 20 }));
    const sha = fakeSha();
    const bytes = randomBytes(3000);
    await store.put(sha, 1024, bytes);
    const key = mezzanineKey(sha, 1024);
    expect(await store.get(sha, 1024)).toEqual(bytes);
    expect(await store.has(sha, 1024)).toBe(true);
    expect(requestsFor(s3, 'GET', key)).toBe(0);
    expect(requestsFor(s3, 'HEAD', key)).toBe(0);
    // The other level was never stored: the bucket is asked, and says no.
    expect(await store.has(sha, 2048)).toBe(false);
    expect(await store.get(sha, 2048)).toBeUndefined();
  });

  it('a level stored by another replica is read from the bucket once', async () => {
    const sha = fakeSha();
    await levels.put(sha, 2048, randomBytes(2000));
    const store = new CachedMezzanineStore(levels, new ByteCache({ maxBytes: 1 << 20 }));
    for (let i = 0; i < 3; i++) expect((await store.get(sha, 2048))?.length).toBe(2000);
    expect(requestsFor(s3, 'GET', mezzanineKey(sha, 2048))).toBe(1);
  });

  it('remove() drops every level from memory and the bucket', async () => {
    const cache = new ByteCache({ maxBytes: 1 << 20 });
    const store = new CachedMezzanineStore(levels, cache);
    const sha = fakeSha();
    await store.put(sha, 2048, randomBytes(1500));
    await store.put(sha, 1024, randomBytes(500));
    expect(cache.size).toBe(2000);
    await store.remove(sha);
    expect(cache.size).toBe(0);
    expect(await store.has(sha, 1024)).toBe(false);
    expect(await store.get(sha, 2048)).toBeUndefined();
    expect(requestsFor(s3, 'GET', mezzanineKey(sha, 2048))).toBe(1);
  });

  it('shares one budget with the originals: the least recently used goes, whichever it is', async () => {
    const cache = new ByteCache({ maxBytes: 2500 });
    const store = new CachedMezzanineStore(levels, cache);
    const cachedOriginals = new CachedOriginalStore(originals, cache);
    const original = randomBytes(1000);
    const sha = sha256(original);
    const path = originals.tempPath();
    await writeFile(path, original);
    await originals.commit(path, sha);
    expect((await cachedOriginals.read(sha))?.length).toBe(1000);
    await store.put(sha, 1024, randomBytes(1000));
    expect(cachedOriginals.has(sha)).toBe(true);
    await store.put(sha, 2048, randomBytes(1000)); // 3000 > 2500: the original, read first, goes
    expect(cachedOriginals.has(sha)).toBe(false);
    expect(cache.size).toBe(2000);
    expect(await store.get(sha, 1024)).toBeDefined();
    expect(requestsFor(s3, 'GET', mezzanineKey(sha, 1024))).toBe(0);
  });

  it('createMezzanineStore: the bucket through the cache when one is given', () => {
    const config = { uploadDir: tempDir, s3: s3.config };
    expect(createMezzanineStore(config)).toBeInstanceOf(S3MezzanineStore);
    expect(createMezzanineStore(config, new ByteCache({ maxBytes: 1024 }))).toBeInstanceOf(
      CachedMezzanineStore,
    );
  });
});
