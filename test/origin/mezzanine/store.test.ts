/**
 * The mezzanine store (origin/mezzanine/store.ts) on a local folder and on a real s3rver through
 * the AWS SDK: levels round-trip under their versioned keys, and remove() deletes every level of
 * the current version and of the retired ones (which nothing reads any more), no other original's.
 */
import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MEZZANINE_LEVELS,
  MEZZANINE_VERSION,
  RETIRED_MEZZANINE_VERSIONS,
} from '../../../origin/mezzanine/policy.js';
import {
  LocalMezzanineStore,
  type MezzanineStore,
  mezzanineKey,
  S3MezzanineStore,
} from '../../../origin/mezzanine/store.js';
import { startS3, type TestS3 } from '../../support/s3.js';

const newSha = () => createHash('sha256').update(randomBytes(16)).digest('hex');

/** A store, and raw access to its keys (a retired version's levels cannot be written through it). */
interface Backend {
  store: MezzanineStore;
  plant(key: string, data: Buffer): Promise<void>;
  exists(key: string): Promise<boolean>;
}

let dir: string;
let s3: TestS3;
const backends: Record<string, Backend> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgedge-mezz-store-'));
  backends.local = {
    store: new LocalMezzanineStore(dir),
    async plant(key, data) {
      await mkdir(dirname(join(dir, key)), { recursive: true });
      await writeFile(join(dir, key), data);
    },
    exists: (key) =>
      access(join(dir, key)).then(
        () => true,
        () => false,
      ),
  };
  s3 = await startS3();
  const client = s3.client();
  const prefix = 'tenant-a/';
  backends.s3 = {
    store: new S3MezzanineStore({ client, bucket: s3.bucket, prefix }),
    async plant(key, data) {
      await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${prefix}${key}`, Body: data }));
    },
    exists: (key) =>
      client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `${prefix}${key}` })).then(
        () => true,
        () => false,
      ),
  };
});
afterAll(async () => {
  await s3?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.each(['local', 's3'])('mezzanine store [%s]', (name) => {
  it('keeps each level under the current version', async () => {
    const { store, exists } = backends[name]!;
    const sha = newSha();
    expect(await store.get(sha, 1024)).toBeUndefined();
    expect(await store.has(sha, 1024)).toBe(false);
    const data = randomBytes(1000);
    await store.put(sha, 1024, data);
    expect((await store.get(sha, 1024))?.equals(data)).toBe(true);
    expect([await store.has(sha, 1024), await store.has(sha, 2048)]).toEqual([true, false]);
    expect(mezzanineKey(sha, 1024)).toBe(
      `mezzanines/v${MEZZANINE_VERSION}/${sha.slice(0, 2)}/${sha.slice(2, 4)}/${sha}.1024`,
    );
    expect(await exists(mezzanineKey(sha, 1024))).toBe(true);
  });

  it("remove() deletes every level, the retired versions' too, and no other original's", async () => {
    const { store, plant, exists } = backends[name]!;
    const [sha, other] = [newSha(), newSha()];
    expect(RETIRED_MEZZANINE_VERSIONS.length).toBeGreaterThan(0);
    const keys = [MEZZANINE_VERSION, ...RETIRED_MEZZANINE_VERSIONS].flatMap((version) =>
      MEZZANINE_LEVELS.map((level) => mezzanineKey(sha, level, version)),
    );
    for (const key of keys) await plant(key, randomBytes(10));
    await store.put(other, 1024, randomBytes(10));
    await plant(mezzanineKey(other, 2048, RETIRED_MEZZANINE_VERSIONS[0]), randomBytes(10));
    for (const key of keys) expect(await exists(key), key).toBe(true);

    await store.remove(sha);
    for (const key of keys) expect(await exists(key), key).toBe(false);
    expect(await store.has(other, 1024)).toBe(true);
    expect(await exists(mezzanineKey(other, 2048, RETIRED_MEZZANINE_VERSIONS[0]))).toBe(true);
    // Nothing to remove is no error.
    await store.remove(sha);
  });
});
