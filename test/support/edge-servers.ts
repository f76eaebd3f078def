/**
 * The real services the edge tests run against, in their own Node process (spawned by
 * edge-global-setup.ts; run by hand with `node --import tsx test/support/edge-servers.ts`):
 * - the REAL origin (startTestOrigin: Postgres at TEST_DATABASE_URL, else PGlite) with fixture
 *   images uploaded through its API, an OAuth client and a token;
 * - a second real origin with TRANSFORM_CONCURRENCY=1 and TRANSFORM_QUEUE=0, whose queue
 *   overflows at once (503 + Retry-After) and whose AVIF variants are slow (origin timeouts);
 * - the Upstash-REST bridge over the real Redis at TEST_REDIS_URL (default redis://127.0.0.1:6379);
 * - edge-stub-server.ts (JWKS endpoints, a never-answering path), also the website behind the main
 *   origin's remote sources (SOURCES): `edge`, and the README's `default` and `shop`, all on it — a
 *   real JPEG at every path but those in a `missing/` folder (404s, which the origin remembers briefly);
 * - for the failover tests: two TCP proxies (tcp-proxy.ts) in front of the main origin, i.e. two
 *   "origins" that serve the same images, which the tests cut and restore through proxy-control.ts;
 *   and a connect black hole (connect-blackhole.ts), an address whose TCP connect never completes.
 *
 * Prints one line `EDGE_SERVERS <json>` (the values of edge-context.ts) once everything is up, and
 * stops everything on SIGTERM/SIGINT. A separate process, not the globalSetup's own: the workers
 * project's Vite config resolves modules for workerd (conditions, inlined deps), which breaks
 * Node-only packages such as ioredis and sharp when the globalSetup imports them.
 */
import { randomBytes } from 'node:crypto';
import type { ProvidedContext } from 'vitest';
import './edge-context.js';
import { startConnectBlackhole } from './connect-blackhole.js';
import { startEdgeStubServer } from './edge-stub-server.js';
import { alphaPng, animatedGif, photoJpeg } from './images.js';
import { startTestOrigin, TEST_ORIGIN_TOKEN, TEST_SECRET_KEY, type TestOrigin } from './origin.js';
import { startProxyControl } from './proxy-control.js';
import { REDIS_REQUIRED, redisAnswers, TEST_REDIS_URL } from './services.js';
import { startTcpProxy } from './tcp-proxy.js';
import { startUpstashBridge } from './upstash-bridge.js';

/** The edge's SIGNING_KEY in the default bindings (≥ 32 characters). */
const SIGNING_KEY = 'edge-test-signing-key-0123456789abcdef';

export type EdgeServersInfo = Pick<
  ProvidedContext,
  | 'originUrl'
  | 'originToken'
  | 'jwtSecret'
  | 'signingKey'
  | 'images'
  | 'busyOriginUrl'
  | 'busyImage'
  | 'client'
  | 'apiToken'
  | 'uploadJpeg'
  | 'upstashUrl'
  | 'upstashToken'
  | 'stubUrl'
  | 'originSources'
  | 'failover'
  | 'runId'
>;

async function uploadFixture(origin: TestOrigin, token: string, bytes: Buffer, type: string) {
  const res = await origin.upload(new Uint8Array(bytes), token, type);
  if (res.status !== 201) throw new Error(`fixture upload answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

const closers: (() => Promise<void>)[] = [];

/** Start a service and remember how to stop it, even if a sibling fails to start. */
async function started<T extends { close(): Promise<void> }>(service: Promise<T>): Promise<T> {
  const s = await service;
  closers.push(() => s.close());
  return s;
}

async function stopAll(): Promise<void> {
  for (const close of closers.splice(0).reverse()) {
    await close().catch((err: unknown) => console.error('edge-servers: close failed:', err));
  }
}

async function main(): Promise<EdgeServersInfo> {
  const runId = randomBytes(6).toString('hex');
  const upstashToken = `edge-tests-${runId}`;
  // Without a Redis (a fresh laptop) the Upstash cases skip; in CI (REDIS_REQUIRED) they must run.
  const withRedis = REDIS_REQUIRED || (await redisAnswers());
  // Tokens are minted here, once, and used by edge tests until the run ends: they must outlive a
  // slow run (the default 15 min expired mid-run on a loaded machine).
  const tokenTtl = { JWT_TTL_SECONDS: '7200' };
  // First: the main origin's remote source lives on it (loopback, hence the dangerous switch).
  const stub = await started(startEdgeStubServer({ sourceImage: await photoJpeg(640, 480, 5) }));
  const sources = {
    SOURCES: JSON.stringify({
      // Distinct bases: an absolute /cdn-cgi/image/ URL names exactly one source.
      default: `${stub.url}/sources/`,
      edge: `${stub.url}/sources/edge/`,
      shop: `${stub.url}/sources/shop/`,
    }),
    SOURCES_ALLOW_PRIVATE_NETWORKS: '1',
  };
  const results = await Promise.allSettled([
    // The edge's SIGNING_KEY, so the origin's POST /api/v1/sign makes URLs the edge accepts.
    started(startTestOrigin({ ...tokenTtl, ...sources, SIGNING_KEY })),
    started(startTestOrigin({ ...tokenTtl, TRANSFORM_CONCURRENCY: '1', TRANSFORM_QUEUE: '0' })),
    withRedis
      ? started(startUpstashBridge({ redisUrl: TEST_REDIS_URL, token: upstashToken }))
      : Promise.resolve({ url: '' }),
    started(startConnectBlackhole()),
  ]);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  const [origin, busy, bridge, blackhole] = results.map(
    (r) => (r as PromiseFulfilledResult<unknown>).value,
  ) as [TestOrigin, TestOrigin, { url: string }, { url: string }];

  const target = new URL(origin.url);
  const proxies = {
    a: await started(startTcpProxy({ host: target.hostname, port: Number(target.port) })),
    b: await started(startTcpProxy({ host: target.hostname, port: Number(target.port) })),
  };
  const control = await started(startProxyControl(proxies));

  const client = await origin.newClient(['images:read', 'images:write']);
  const [apiToken, busyToken, photo, alpha, gif, big, fresh] = await Promise.all([
    origin.token(),
    busy.token(),
    photoJpeg(320, 240, 7),
    alphaPng(),
    animatedGif(),
    photoJpeg(1024, 768, 11),
    // A different seed every run: the same bytes uploaded twice by one owner answer 200, not 201.
    photoJpeg(96, 64, Number.parseInt(runId.slice(0, 8), 16)),
  ]);
  const [photoId, alphaId, gifId, busyImage] = await Promise.all([
    uploadFixture(origin, apiToken, photo, 'image/jpeg'),
    uploadFixture(origin, apiToken, alpha, 'image/png'),
    uploadFixture(origin, apiToken, gif, 'image/gif'),
    uploadFixture(busy, busyToken, big, 'image/jpeg'),
  ]);
  return {
    originUrl: origin.url,
    originToken: TEST_ORIGIN_TOKEN,
    jwtSecret: TEST_SECRET_KEY,
    signingKey: SIGNING_KEY,
    images: { photo: photoId, alpha: alphaId, gif: gifId, missing: `nothere${runId}` },
    busyOriginUrl: busy.url,
    busyImage,
    client: { id: client.client_id, secret: client.client_secret },
    apiToken,
    uploadJpeg: fresh.toString('base64'),
    upstashUrl: bridge.url,
    upstashToken,
    stubUrl: stub.url,
    originSources: sources.SOURCES,
    failover: {
      origins: [`http://127.0.0.1:${proxies.a.port}`, `http://127.0.0.1:${proxies.b.port}`],
      names: ['a', 'b'],
      controlUrl: control.url,
      blackholeUrl: blackhole.url,
    },
    runId,
  };
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void stopAll().finally(() => process.exit(0));
  });
}

try {
  const info = await main();
  process.stdout.write(`EDGE_SERVERS ${JSON.stringify(info)}\n`);
} catch (err) {
  console.error('edge-servers: start-up failed:', err);
  await stopAll();
  process.exit(1);
}
