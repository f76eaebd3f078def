/**
 * Tier 2 of the variant cache in a real S3-protocol server (s3rver): the store itself (put, get,
 * list and delete by source sha256 under S3_PREFIX/variants/<sha>/), and an origin whose tier 1 is
 * empty (restarted with its disk lost, or another replica) serving a variant from tier 2 without a
 * transform; a delete removing tier 2's objects and naming tier 2's variants for the edge.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../origin/config/load.js';
import { createLogger } from '../../../origin/observability/logger.js';
import { type RunningServer, startServer } from '../../../origin/server.js';
import { createS3Client } from '../../../origin/storage/s3-client.js';
import { S3VariantStore } from '../../../origin/storage/variant-store.js';
import { canonicalize, DEFAULT_PRESETS, parseOptions } from '../../../shared/options/index.js';
import { photoJpeg } from '../../support/images.js';
import { scrapeMetric } from '../../support/metrics.js';
import { originEnv, startTestOrigin, TEST_ORIGIN_TOKEN, type TestOrigin } from '../../support/origin.js';
import { startS3, type TestS3 } from '../../support/s3.js';
import { bearer, ownerToken, uploadOk } from '../api/helpers.js';

const PREFIX = 'tier2/';
const W100 = canonicalize(parseOptions('w=100,f=webp'));
const W90 = canonicalize(parseOptions('w=90,f=webp'));

async function bucketKeys(s3: TestS3, prefix: string): Promise<string[]> {
  const page = await s3.client().send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
  return (page.Contents ?? []).map((o) => o.Key!).sort();
}

describe('variant tier 2 in S3 (s3rver)', () => {
  let s3: TestS3;
  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => {
    await s3?.destroy();
  });

  it('puts, gets, lists and deletes a source’s variants under S3_PREFIX/variants/<sha>/', async () => {
    const store = new S3VariantStore({
      client: createS3Client(loadConfig(originEnv({ upload: '/tmp/x', output: '/tmp/y' }, s3.env)).s3!),
      bucket: s3.bucket,
      prefix: PREFIX,
    });
    const sha = 'ab'.repeat(32);
    const other = 'cd'.repeat(32);
    expect(await store.get(sha, 'w=10', 'webp')).toBeUndefined();
    await store.put(sha, 'w=10', 'webp', Buffer.from('variant one'), 'webp');
    await store.put(sha, '', 'auto-avif', Buffer.from('variant two'), 'avif');
    await store.put(other, 'w=10', 'webp', Buffer.from('other'), 'webp');
    const got = await store.get(sha, 'w=10', 'webp');
    expect(got?.format).toBe('webp');
    expect(got?.data.toString()).toBe('variant one');
    expect((await store.get(sha, '', 'auto-avif'))?.format).toBe('avif');
    expect(await bucketKeys(s3, `${PREFIX}variants/${sha}/`)).toEqual([
      `${PREFIX}variants/${sha}/_/auto-avif`,
      `${PREFIX}variants/${sha}/w=10/webp`,
    ]);
    expect((await store.list(sha)).sort((a, b) => a.canonical.localeCompare(b.canonical))).toEqual([
      { canonical: '', format: 'auto-avif' },
      { canonical: 'w=10', format: 'webp' },
    ]);
    await store.removeSource(sha);
    expect(await bucketKeys(s3, `${PREFIX}variants/${sha}/`)).toEqual([]);
    expect(await store.get(sha, 'w=10', 'webp')).toBeUndefined();
    expect(await store.list(other)).toEqual([{ canonical: 'w=10', format: 'webp' }]);
  });

  it('a watermarked variant of another revision is a miss, under the same key (the edge key)', async () => {
    const store = new S3VariantStore({
      client: createS3Client(loadConfig(originEnv({ upload: '/tmp/x', output: '/tmp/y' }, s3.env)).s3!),
      bucket: s3.bucket,
      prefix: PREFIX,
    });
    const sha = 'ef'.repeat(32);
    await store.put(sha, 'w=10,wm=logo', 'webp', Buffer.from('old mark'), 'webp', 'rev-a');
    expect((await store.get(sha, 'w=10,wm=logo', 'webp', 'rev-a'))?.data.toString()).toBe('old mark');
    expect(await store.get(sha, 'w=10,wm=logo', 'webp', 'rev-b')).toBeUndefined();
    expect(await store.get(sha, 'w=10,wm=logo', 'webp')).toBeUndefined();
    await store.put(sha, 'w=10,wm=logo', 'webp', Buffer.from('new mark'), 'webp', 'rev-b');
    expect((await store.get(sha, 'w=10,wm=logo', 'webp', 'rev-b'))?.data.toString()).toBe('new mark');
    expect(await store.get(sha, 'w=10,wm=logo', 'webp', 'rev-a')).toBeUndefined();
    expect(await store.list(sha)).toEqual([{ canonical: 'w=10,wm=logo', format: 'webp' }]);
    await store.removeSource(sha);
  });

  describe('through the origin', () => {
    let origin: TestOrigin;
    beforeAll(async () => {
      origin = await startTestOrigin({ ...s3.env, S3_PREFIX: PREFIX });
    });
    afterAll(async () => {
      await origin?.close();
    });

    /** A second origin on the same database and bucket with an empty tier 1 (a restart that lost its disk). */
    async function restarted(): Promise<{ server: RunningServer; close(): Promise<void> }> {
      const base = await mkdtemp(join(tmpdir(), 'imgedge-tier2-'));
      const config = loadConfig(
        originEnv(
          { upload: join(base, 'uploads'), output: join(base, 'variants') },
          { ...s3.env, S3_PREFIX: PREFIX, SHUTDOWN_TIMEOUT_MS: '2000' },
        ),
      );
      const server = await startServer(config, createLogger({ level: 'silent' }), { db: origin.db });
      return {
        server,
        close: async () => {
          await server.shutdown();
          await rm(base, { recursive: true, force: true });
        },
      };
    }

    it('a variant made once is served after a restart from tier 2, without a transform', async () => {
      const token = await ownerToken(origin, 'tier2-restart');
      const image = await uploadOk(origin, await photoJpeg(320, 240, 7), token);
      const made = await origin.variant(`${W100}/${image.id}`);
      expect(made.status).toBe(200);
      const bytes = Buffer.from(await made.arrayBuffer());
      // Tier 2 is written off the response path: wait until it is there.
      const key = `${PREFIX}variants/${image.sha256}/${W100}/webp`;
      for (let i = 0; i < 200 && !(await bucketKeys(s3, key)).includes(key); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await bucketKeys(s3, `${PREFIX}variants/${image.sha256}/`)).toEqual([key]);

      const other = await restarted();
      try {
        const res = await fetch(`${other.server.url}/internal/v1/variants/${W100}/${image.id}`, {
          headers: { authorization: `Bearer ${TEST_ORIGIN_TOKEN}` },
        });
        expect(res.status).toBe(200);
        expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
        expect(await scrapeMetric(other.server.url, 'imgedge_transforms_total')).toBe(0);
        expect(await scrapeMetric(other.server.url, 'imgedge_variant_tier2_total', { event: 'hit' })).toBe(1);
      } finally {
        await other.close();
      }
    });

    it('a delete removes the tier-2 variants and names them for the edge, whichever replica made them', async () => {
      const token = await ownerToken(origin, 'tier2-delete');
      const image = await uploadOk(origin, await photoJpeg(300, 200, 8), token);
      // Made by another replica only: this origin's own tier-1 list does not know it.
      const other = await restarted();
      try {
        const res = await fetch(`${other.server.url}/internal/v1/variants/${W90}/${image.id}`, {
          headers: { authorization: `Bearer ${TEST_ORIGIN_TOKEN}` },
        });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      } finally {
        // Tier 2 is written off the response path: wait for the object before stopping.
        const key = `${PREFIX}variants/${image.sha256}/${W90}/webp`;
        for (let i = 0; i < 200 && !(await bucketKeys(s3, key)).includes(key); i++) {
          await new Promise((r) => setTimeout(r, 50));
        }
        await other.close();
      }
      expect(await bucketKeys(s3, `${PREFIX}variants/${image.sha256}/`)).toHaveLength(1);
      const del = await fetch(`${origin.api}/images/${image.id}`, {
        method: 'DELETE',
        headers: { ...bearer(token), prefer: 'return=representation' },
      });
      expect(del.status).toBe(200);
      const body = (await del.json()) as { variants: { path: string; format: string }[] };
      expect(body.variants).toEqual([{ path: expect.stringContaining(image.id), format: 'webp' }]);
      expect(body.variants[0]!.path).toContain('w=90');
      expect(await bucketKeys(s3, `${PREFIX}variants/${image.sha256}/`)).toEqual([]);
    });
  });
  describe('EAGER_PRESETS with a bucket', () => {
    let origin: TestOrigin;
    beforeAll(async () => {
      origin = await startTestOrigin({ ...s3.env, S3_PREFIX: PREFIX, EAGER_PRESETS: 'thumb' });
    });
    afterAll(async () => {
      await origin?.close();
    });

    it('eager variants land in tier 2, where another replica serves them without a transform', async () => {
      const token = await ownerToken(origin, 'tier2-eager');
      const image = await uploadOk(origin, await photoJpeg(400, 300, 9), token);
      await origin.server.runtime.background.idle();
      const thumb = canonicalize(parseOptions(DEFAULT_PRESETS.thumb!));
      const keys = ['avif', 'jpeg', 'webp'].map((c) => `${PREFIX}variants/${image.sha256}/${thumb}/${c}`);
      // Tier 2 is written after the transform, off its slot: wait until the three are there.
      for (
        let i = 0;
        i < 200 && (await bucketKeys(s3, `${PREFIX}variants/${image.sha256}/`)).length < 3;
        i++
      ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await bucketKeys(s3, `${PREFIX}variants/${image.sha256}/`)).toEqual(keys);

      const base = await mkdtemp(join(tmpdir(), 'imgedge-tier2-eager-'));
      const config = loadConfig(
        originEnv(
          { upload: join(base, 'uploads'), output: join(base, 'variants') },
          { ...s3.env, S3_PREFIX: PREFIX, SHUTDOWN_TIMEOUT_MS: '2000' },
        ),
      );
      const other = await startServer(config, createLogger({ level: 'silent' }), { db: origin.db });
      try {
        const res = await fetch(`${other.url}/internal/v1/variants/${thumb}/${image.id}?format=avif`, {
          headers: { authorization: `Bearer ${TEST_ORIGIN_TOKEN}` },
        });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('image/avif');
        expect(res.headers.get('server-timing')).toMatch(/^cache;desc=tier2, total;dur=/);
        await res.arrayBuffer();
        expect(await scrapeMetric(other.url, 'imgedge_transforms_total')).toBe(0);
      } finally {
        await other.shutdown();
        await rm(base, { recursive: true, force: true });
      }
    });
  });
});
