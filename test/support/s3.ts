/**
 * A real S3-protocol server for tests: s3rver on 127.0.0.1 (an ephemeral port unless given), its
 * data in a temp folder, with one bucket. `env` holds the S3_* variables an origin needs to use it.
 * `stop()` closes the server and keeps the folder (so `startS3({ port, directory })` brings the
 * same bucket back); `destroy()` also removes the folder. s3rver does not verify signatures.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { S3Config } from '../../origin/config/load.js';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;

// The SDK warns once per process that it will want Node ≥ 22 (this machine runs 20): not ours to fix.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const TEST_BUCKET = 'imgedge-test';
const ACCESS_KEY_ID = 'S3RVER';
const SECRET_ACCESS_KEY = 'S3RVER';

export interface TestS3 {
  port: number;
  directory: string;
  bucket: string;
  endpoint: string;
  /** S3_BUCKET, S3_ENDPOINT, S3_REGION, S3_FORCE_PATH_STYLE, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY. */
  env: Record<string, string>;
  /** Every request the server received (method and path, headers), in order. */
  requests: { method: string; url: string; headers: IncomingMessage['headers'] }[];
  /** The origin's S3 configuration for this server (no prefix): for the stores under test. */
  config: S3Config;
  /** A client for looking at the bucket directly. */
  client(): S3Client;
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startS3(
  opts: { port?: number; directory?: string; bucket?: string } = {},
): Promise<TestS3> {
  const directory = opts.directory ?? (await mkdtemp(join(tmpdir(), 'imgedge-s3-')));
  const bucket = opts.bucket ?? TEST_BUCKET;
  const server = new S3rver({
    address: '127.0.0.1',
    port: opts.port ?? 0,
    directory,
    silent: true,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const requests: TestS3['requests'] = [];
  server.httpServer?.on('request', (req: IncomingMessage) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  let running = true;
  const clients: S3Client[] = [];
  const stop = async () => {
    if (!running) return;
    running = false;
    for (const c of clients) c.destroy();
    // Open keep-alive connections would hold close() until they time out.
    server.httpServer?.closeAllConnections();
    await server.close();
  };
  return {
    port,
    directory,
    bucket,
    endpoint,
    env: {
      S3_BUCKET: bucket,
      S3_ENDPOINT: endpoint,
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: '1',
      S3_ACCESS_KEY_ID: ACCESS_KEY_ID,
      S3_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
    },
    requests,
    config: {
      bucket,
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
      forcePathStyle: true,
      prefix: '',
    },
    client() {
      const c = new S3Client({
        region: 'us-east-1',
        endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
      });
      clients.push(c);
      return c;
    },
    stop,
    async destroy() {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
