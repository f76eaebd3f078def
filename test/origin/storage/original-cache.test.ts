/**
 * The in-memory cache of originals in front of the S3 backend (origin/storage/original-cache.ts),
 * on a real s3rver, counting the GetObject requests the server saw: through an origin (a second
 * variant of one original reads the bucket once; ORIGINAL_CACHE_BYTES=0 turns it off; the storage
 * `get` metric counts only bucket reads) and on the store itself (LRU eviction by bytes, delete
 * evicts, concurrent reads share one GET).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ByteCache } from '../../../origin/storage/byte-cache.js';
import { createOriginalStore } from '../../../origin/storage/create.js';
import { CachedOriginalStore } from '../../../origin/storage/original-cache.js';
import type { OriginalStore } from '../../../origin/storage/originals.js';
import { S3OriginalStore } from '../../../origin/storage/s3.js';
import { createS3Client } from '../../../origin/storage/s3-client.js';
import { testDbKind } from '../../support/db.js';
import { photoJpeg } from '../../support/images.js';
import { startTestOrigin, type TestOrigin } from '../../support/origin.js';
import { startS3, type TestS3 } from '../../support/s3.js';
import { ownerToken, uploadOk } from '../api/helpers.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const keyOf = (sha: string) => `originals/${sha.slice(0, 2)}/${sha.slice(2, 4)}/${sha}`;

/** GetObject requests s3rver received for an original. */
function getsOf(s3: TestS3, sha: string): number {
  const path = `/${s3.bucket}/${keyOf(sha)}`;
  return s3.requests.filter((r) => r.method === 'GET' && r.url.split('?')[0] === path).length;
}

describe(`cache of originals read from S3, through an origin [${testDbKind}]`, () => {
  let s3: TestS3;
  let cached: TestOrigin;
  let uncached: TestOrigin;
  beforeAll(async () => {
    s3 = await startS3();
    cached = await startTestOrigin({ ...s3.env });
    uncached = await startTestOrigin({ ...s3.env, ORIGINAL_CACHE_BYTES: '0' });
  });
  afterAll(async () => {
    await cached?.close();
    await uncached?.close();
    await s3?.destroy();
  });

  it('a second variant of the same original does not GET it from the bucket again', async () => {
    const image = await uploadOk(cached, await photoJpeg(64, 48, 41), await ownerToken(cached, 'oc-a'));
    const get0 = await cached.metric('imgedge_storage_operation_duration_seconds_count', {
      backend: 's3',
      operation: 'get',
    });
    expect((await cached.variant(`w=20/${image.id}`, 'format=webp')).status).toBe(200);
    expect(getsOf(s3, image.sha256)).toBe(1);
    expect((await cached.variant(`w=30/${image.id}`, 'format=webp')).status).toBe(200);
    expect((await cached.variant(`w=40/${image.id}`, 'format=webp')).status).toBe(200);
    expect(getsOf(s3, image.sha256)).toBe(1);
    // The storage `get` metric counts bucket reads only; the cache has its own counter.
    expect(
      await cached.metric('imgedge_storage_operation_duration_seconds_count', {
        backend: 's3',
        operation: 'get',
      }),
    ).toBe(get0! + 1);
    expect(await cached.metric('imgedge_original_cache_total', { event: 'hit' })).toBe(2);
    expect(await cached.metric('imgedge_original_cache_total', { event: 'miss' })).toBe(1);
  });

  it('ORIGINAL_CACHE_BYTES=0: every cold variant reads the original from the bucket', async () => {
    const image = await uploadOk(uncached, await photoJpeg(64, 48, 42), await ownerToken(uncached, 'oc-b'));
    expect((await uncached.variant(`w=20/${image.id}`, 'format=webp')).status).toBe(200);
    expect((await uncached.variant(`w=30/${image.id}`, 'format=webp')).status).toBe(200);
    expect(getsOf(s3, image.sha256)).toBe(2);
    expect(createOriginalStore({ ...uncached.config })).toBeInstanceOf(S3OriginalStore);
    expect(createOriginalStore({ ...uncached.config, originalCacheBytes: 1024 })).toBeInstanceOf(
      CachedOriginalStore,
    );
  });
});

describe('CachedOriginalStore on s3rver', () => {
  let s3: TestS3;
  let tempDir: string;
  let bucket: S3OriginalStore;
  beforeAll(async () => {
    s3 = await startS3();
    tempDir = await mkdtemp(join(tmpdir(), 'imgedge-oc-'));
    bucket = new S3OriginalStore({
      client: createS3Client(s3.config),
      bucket: s3.bucket,
      prefix: '',
      tempDir,
    });
    await bucket.init();
  });
  afterAll(async () => {
    await s3?.destroy();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  });

  /** Put `size` random bytes in the bucket; their sha256. */
  async function put(size: number): Promise<string> {
    const bytes = randomBytes(size);
    const sha = sha256(bytes);
    const path = bucket.tempPath();
    await writeFile(path, bytes);
    await bucket.commit(path, sha);
    return sha;
  }

  it('evicts the least recently used originals once the bytes held pass the bound', async () => {
    const cache = new CachedOriginalStore(bucket, new ByteCache({ maxBytes: 2500 }));
    const [a, b, c] = [await put(1000), await put(1000), await put(1000)];
    expect((await cache.read(a))?.length).toBe(1000);
    expect((await cache.read(b))?.length).toBe(1000);
    await cache.read(a); // a is now more recent than b
    expect(getsOf(s3, a)).toBe(1);
    await cache.read(c); // 3000 > 2500: b goes
    expect(cache.size).toBe(2000);
    expect([cache.has(a), cache.has(b), cache.has(c)]).toEqual([true, false, true]);
    await cache.read(b);
    expect(getsOf(s3, b)).toBe(2);
    await cache.read(c);
    expect(getsOf(s3, c)).toBe(1);
    // Larger than the whole bound: passed through, nothing evicted for it.
    const big = await put(3000);
    expect((await cache.read(big))?.length).toBe(3000);
    expect(cache.has(big)).toBe(false);
    expect(cache.size).toBe(2000);
  });

  it('remove() evicts: a read after it goes to the bucket and finds nothing', async () => {
    const cache = new CachedOriginalStore(bucket, new ByteCache({ maxBytes: 1 << 20 }));
    const sha = await put(500);
    expect(await cache.read(sha)).toBeDefined();
    expect(cache.has(sha)).toBe(true);
    await cache.remove(sha);
    expect(cache.has(sha)).toBe(false);
    expect(cache.size).toBe(0);
    expect(await cache.read(sha)).toBeUndefined();
    expect(getsOf(s3, sha)).toBe(2);
  });

  it('a read under way when remove() is called does not put the original back', async () => {
    // The real bucket, but the read's answer is held back until the delete has finished.
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let fetched!: () => void;
    const got = new Promise<void>((resolve) => {
      fetched = resolve;
    });
    const slow: OriginalStore = {
      backend: bucket.backend,
      init: () => bucket.init(),
      tempPath: () => bucket.tempPath(),
      commit: (path, sha) => bucket.commit(path, sha),
      exists: (sha) => bucket.exists(sha),
      read: async (sha) => {
        const bytes = await bucket.read(sha);
        fetched();
        await held;
        return bytes;
      },
      remove: (sha) => bucket.remove(sha),
      list: () => bucket.list(),
      probe: () => bucket.probe(),
    };
    const cache = new CachedOriginalStore(slow, new ByteCache({ maxBytes: 1 << 20 }));
    const sha = await put(700);
    const reading = cache.read(sha);
    await got;
    await cache.remove(sha);
    release();
    expect((await reading)?.length).toBe(700);
    expect(cache.has(sha)).toBe(false);
    expect(cache.size).toBe(0);
    expect(await cache.read(sha)).toBeUndefined();
  });

  it('concurrent reads of one original share one GET', async () => {
    const cache = new CachedOriginalStore(bucket, new ByteCache({ maxBytes: 1 << 20 }));
    const sha = await put(4000);
    const reads = await Promise.all(Array.from({ length: 5 }, () => cache.read(sha)));
    expect(getsOf(s3, sha)).toBe(1);
    for (const bytes of reads) expect(bytes && sha256(bytes)).toBe(sha);
  });

  it('a missing original is not cached', async () => {
    const cache = new CachedOriginalStore(bucket, new ByteCache({ maxBytes: 1 << 20 }));
    const sha = sha256(randomBytes(16));
    expect(await cache.read(sha)).toBeUndefined();
    expect(await cache.read(sha)).toBeUndefined();
    expect(getsOf(s3, sha)).toBe(2);
    expect(cache.size).toBe(0);
  });
});
