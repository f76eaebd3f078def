/**
 * An S3-compatible server for the bench's originals-in-S3 cases: test/support/s3.ts's s3rver (one
 * bucket, data in this run's temp dir) run as a child process (bench/s3-server.ts), like every
 * other server of the bench, so its work does not share the load generator's event loop and its
 * CPU and RSS can be counted through `pid`. `env` holds the S3_* variables an origin needs.
 */
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { originalKey } from '../origin/storage/originals.js';
import { ROOT, tempDir } from './origin-process.js';
import { freePort, type Server, startServer } from './server.js';

// The SDK warns once per process that it will want Node ≥ 22 (this machine runs 20).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface BenchS3 {
  pid: number;
  server: Server;
  /** S3_BUCKET, S3_ENDPOINT, S3_REGION, S3_FORCE_PATH_STYLE, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY. */
  env: Record<string, string>;
  /** Store an original where the origin looks for it (`originals/ab/cd/<sha256>`, no S3_PREFIX). */
  putOriginal(sha256: string, bytes: Buffer): Promise<void>;
  /** Keys in the bucket outside `originals/` (tier-2 variants, when the origin writes them). */
  countNonOriginals(): Promise<number>;
  stop(): Promise<void>;
}

const ENV_LINE = /^S3_ENV (.+)$/m;

export async function startBenchS3(): Promise<BenchS3> {
  const port = await freePort();
  const directory = await tempDir('s3-');
  const endpoint = `http://127.0.0.1:${port}`;
  const server = await startServer({
    command: process.execPath,
    args: ['--import', 'tsx', join(ROOT, 'bench/s3-server.ts'), String(port), directory],
    cwd: ROOT,
    readyUrl: `${endpoint}/`,
    readyTimeoutMs: 30_000,
  });
  try {
    let line = ENV_LINE.exec(server.output());
    for (let i = 0; !line && i < 40; i++) {
      await new Promise((r) => setTimeout(r, 50));
      line = ENV_LINE.exec(server.output());
    }
    if (!line?.[1]) throw new Error(`s3 server printed no S3_ENV line:\n${server.output()}`);
    const env = JSON.parse(line[1]) as Record<string, string>;
    const bucket = env.S3_BUCKET ?? '';
    const client = new S3Client({
      region: env.S3_REGION ?? 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials: {
        accessKeyId: env.S3_ACCESS_KEY_ID ?? '',
        secretAccessKey: env.S3_SECRET_ACCESS_KEY ?? '',
      },
    });
    return {
      pid: server.pid,
      server,
      env,
      async putOriginal(sha256, bytes) {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: originalKey(sha256), Body: bytes }));
      },
      async countNonOriginals() {
        let count = 0;
        let token: string | undefined;
        do {
          const page = await client.send(
            new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }),
          );
          count += (page.Contents ?? []).filter((o) => !o.Key?.startsWith('originals/')).length;
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        return count;
      },
      async stop() {
        client.destroy();
        await server.stop();
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}
