/**
 * Originals in a real S3-protocol server (s3rver) through the real AWS SDK: the object key and the
 * SHA-256 checksum sent with every put, multipart for large files, dedupe, delete only when no
 * live row shares the bytes, a missing bucket stopping the start (one line naming S3_BUCKET), and
 * the server going away: /health 503 naming storage, uploads 503 storage_unavailable with nothing
 * half-written, and recovery once the server is back on the same port and folder.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3OriginalStore } from '../../../origin/storage/s3.js';
import { createS3Client } from '../../../origin/storage/s3-client.js';
import { testDbKind } from '../../support/db.js';
import { photoJpeg } from '../../support/images.js';
import { startTestOrigin, type TestOrigin } from '../../support/origin.js';
import { startS3, type TestS3 } from '../../support/s3.js';
import { isolatedDatabase, originEnv, runEntry, tempDirs } from '../../support/spawn-origin.js';
import { bearer, expectProblem, type ImageRecord, ownerToken, uploadOk } from '../api/helpers.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const keyOf = (prefix: string, sha: string) =>
  `${prefix}originals/${sha.slice(0, 2)}/${sha.slice(2, 4)}/${sha}`;

async function bucketKeys(s3: TestS3, prefix = ''): Promise<string[]> {
  const page = await s3.client().send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
  return (page.Contents ?? []).map((o) => o.Key!).sort();
}

async function objectBytes(s3: TestS3, key: string): Promise<Buffer> {
  const res = await s3.client().send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

function del(origin: TestOrigin, token: string, id: string): Promise<Response> {
  return fetch(`${origin.api}/images/${id}`, { method: 'DELETE', headers: bearer(token) });
}

async function health(origin: TestOrigin) {
  const res = await fetch(`${origin.url}/health`, { signal: AbortSignal.timeout(20_000) });
  return {
    status: res.status,
    body: (await res.json()) as { checks: Record<string, { status: string; error?: string }> },
  };
}

describe(`originals in S3 (s3rver) [${testDbKind}]`, () => {
  const PREFIX = 'tenant-a/';
  let s3: TestS3;
  let origin: TestOrigin;
  beforeAll(async () => {
    s3 = await startS3();
    origin = await startTestOrigin({ ...s3.env, S3_PREFIX: PREFIX });
  });
  afterAll(async () => {
    await origin?.close();
    await s3?.destroy();
  });

  it('an upload lands in the bucket under S3_PREFIX/originals/ab/cd/<sha256>, put with its SHA-256 checksum', async () => {
    const bytes = await photoJpeg(64, 48, 1);
    const sha = sha256(bytes);
    const image = await uploadOk(origin, bytes, await ownerToken(origin, 'lands'));
    expect(image.sha256).toBe(sha);
    const key = keyOf(PREFIX, sha);
    expect(await bucketKeys(s3, `${PREFIX}originals/`)).toContain(key);
    expect(sha256(await objectBytes(s3, key))).toBe(sha);
    const puts = s3.requests.filter(
      (r) => r.method === 'PUT' && r.url.split('?')[0] === `/${s3.bucket}/${key}`,
    );
    expect(puts).toHaveLength(1);
    expect(puts[0]!.headers['x-amz-checksum-sha256']).toBe(Buffer.from(sha, 'hex').toString('base64'));
    // Nothing but originals under the prefix (the health probes clean up after themselves).
    expect((await bucketKeys(s3)).every((k) => k.startsWith(`${PREFIX}originals/`))).toBe(true);
    expect(await readdir(`${origin.dirs.upload}/.tmp`)).toEqual([]);
  });

  it('the same bytes uploaded by two owners are one object, put once', async () => {
    const bytes = await photoJpeg(70, 50, 2);
    const key = keyOf(PREFIX, sha256(bytes));
    const a = await uploadOk(origin, bytes, await ownerToken(origin, 'dedupe-a'));
    const b = await uploadOk(origin, bytes, await ownerToken(origin, 'dedupe-b'));
    expect(a.id).not.toBe(b.id);
    expect((await bucketKeys(s3, `${PREFIX}originals/`)).filter((k) => k === key)).toHaveLength(1);
    expect(
      s3.requests.filter((r) => r.method === 'PUT' && r.url.split('?')[0] === `/${s3.bucket}/${key}`),
    ).toHaveLength(1);
  });

  it('delete removes the object only once no live row shares it', async () => {
    const bytes = await photoJpeg(72, 40, 3);
    const key = keyOf(PREFIX, sha256(bytes));
    const tokA = await ownerToken(origin, 'shared-a');
    const tokB = await ownerToken(origin, 'shared-b');
    const a = await uploadOk(origin, bytes, tokA);
    const b = await uploadOk(origin, bytes, tokB);
    expect((await del(origin, tokA, a.id)).status).toBe(204);
    expect(await bucketKeys(s3, key)).toEqual([key]);
    // Still served for the other owner's image.
    expect((await origin.variant(`w=20/${b.id}`, 'format=webp')).status).toBe(200);
    expect((await del(origin, tokB, b.id)).status).toBe(204);
    expect(await bucketKeys(s3, key)).toEqual([]);
  });

  it('storage operations are measured by backend and operation', async () => {
    expect(
      await origin.metric('imgedge_storage_operation_duration_seconds_count', {
        backend: 's3',
        operation: 'put',
      }),
    ).toBeGreaterThan(0);
    expect(
      await origin.metric('imgedge_storage_operation_duration_seconds_count', {
        backend: 's3',
        operation: 'delete',
      }),
    ).toBeGreaterThan(0);
    expect(
      await origin.metric('imgedge_storage_operation_duration_seconds_count', {
        backend: 's3',
        operation: 'get',
      }),
    ).toBeGreaterThan(0);
  });
});

describe('S3OriginalStore: a file above the multipart threshold', () => {
  let s3: TestS3;
  let dirs: Awaited<ReturnType<typeof tempDirs>>;
  beforeAll(async () => {
    s3 = await startS3();
    dirs = await tempDirs();
  });
  afterAll(async () => {
    await s3?.destroy();
    await dirs?.remove();
  });

  it('goes up in parts, each with its SHA-256, and reads back byte for byte', async () => {
    const store = new S3OriginalStore({
      client: createS3Client(s3.config),
      bucket: s3.bucket,
      prefix: '',
      tempDir: dirs.upload,
      multipartThreshold: 5 * 1024 * 1024,
      partSize: 5 * 1024 * 1024,
    });
    await store.init();
    const bytes = randomBytes(11 * 1024 * 1024);
    const sha = sha256(bytes);
    const temp = store.tempPath();
    await writeFile(temp, bytes);
    await store.commit(temp, sha);
    const parts = s3.requests.filter((r) => r.method === 'PUT' && r.url.includes('partNumber='));
    expect(parts).toHaveLength(3);
    for (const part of parts) expect(part.headers['x-amz-checksum-sha256']).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(sha256((await store.read(sha))!)).toBe(sha);
    expect(await store.exists(sha)).toBe(true);
    expect(await readdir(dirs.upload)).toEqual([]);
  });
});

describe(`S3 outage and start-up [${testDbKind}]`, () => {
  let s3: TestS3;
  let origin: TestOrigin;
  beforeAll(async () => {
    s3 = await startS3();
    origin = await startTestOrigin(s3.env);
  });
  afterAll(async () => {
    await origin?.close();
    await s3?.destroy();
  });

  it('a missing bucket stops the start with one line naming S3_BUCKET and NoSuchBucket', async () => {
    const dirs = await tempDirs();
    const database = await isolatedDatabase();
    try {
      const run = await runEntry('origin/main.ts', [], {
        ...originEnv(dirs),
        ...database.env,
        ...s3.env,
        S3_BUCKET: 'imgedge-no-such-bucket',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      });
      expect(run.code, run.stderr).not.toBe(0);
      const lines = run.stderr.trim().split('\n');
      expect(lines, run.stderr).toHaveLength(1);
      expect(lines[0]).toContain('S3_BUCKET');
      expect(lines[0]).toContain('imgedge-no-such-bucket');
      expect(lines[0]).toContain('NoSuchBucket');
      expect(run.stderr).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
    } finally {
      await database.close();
      await dirs.remove();
    }
  }, 90_000);

  it('server stopped: /health 503 naming storage, uploads 503 storage_unavailable with no row; back once it returns', async () => {
    const token = await ownerToken(origin, 'outage');
    const before = await uploadOk(origin, await photoJpeg(60, 40, 4), token);
    expect((await health(origin)).status).toBe(200);

    await s3.stop();
    const down = await health(origin);
    expect(down.status).toBe(503);
    expect(down.body.checks.storage?.status).toBe('fail');
    expect(down.body.checks.storage?.error).toMatch(/^S3 PutObject /);
    expect(down.body.checks.database?.status).toBe('ok');

    const bytes = await photoJpeg(61, 41, 5);
    const refused = await origin.upload(bytes, token);
    expect(refused.headers.get('retry-after')).toBe('5');
    await expectProblem(refused, 503, 'storage_unavailable');
    const list = (await (await fetch(`${origin.api}/images`, { headers: bearer(token) })).json()) as {
      items: ImageRecord[];
    };
    expect(list.items.map((i) => i.id)).toEqual([before.id]);
    expect(await readdir(`${origin.dirs.upload}/.tmp`)).toEqual([]);
    expect(
      await origin.metric('imgedge_storage_errors_total', { backend: 's3', operation: 'probe' }),
    ).toBeGreaterThan(0);

    const restarted = await startS3({ port: s3.port, directory: s3.directory });
    s3 = restarted;
    expect((await health(origin)).status).toBe(200);
    const after = await uploadOk(origin, bytes, token);
    expect(after.sha256).toBe(sha256(bytes));
    expect(await bucketKeys(s3, keyOf('', after.sha256))).toEqual([keyOf('', after.sha256)]);
    // What was stored before the outage is still there and served.
    expect((await origin.variant(`w=20/${before.id}`, 'format=webp')).status).toBe(200);
  });
});
