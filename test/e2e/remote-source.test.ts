/**
 * A remote image end to end through the local stack (origin + `wrangler dev`), against a real HTTP
 * server this test starts as the source `default` (SOURCES_ALLOW_PRIVATE_NETWORKS=1, the dangerous
 * switch, lets the origin reach 127.0.0.1): MISS → HIT → 304; SIGNED_URLS for /img/ and
 * CDN_CGI_SIGNED_URLS for /cdn-cgi/image/; one cache entry for both URL forms; the origin's
 * freshness (not immutable) on the stored variant; a purge through the edge that sends the next
 * request back to the source.
 */

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/ports.js';
import { type Stack, startStack } from '../../scripts/stack.js';
import { parseImageRequest } from '../../shared/options/index.js';
import { signPath } from '../../shared/signature.js';
import { parseSources } from '../../shared/sources/index.js';
import { photoJpeg } from '../support/images.js';
import { clientToken } from '../support/oauth.js';
import { imageHandler, type SourceServer, startSourceServer } from '../support/source-server.js';

let stack: Stack | undefined;
/**
 * The image's name at the source, new every run: the stack shares TEST_DATABASE_URL with earlier
 * runs, whose source_cache row for the same (source, path) would name bytes this run's fresh
 * UPLOAD_DIR does not hold (served, rightly, by a revalidation and a refetch: two requests).
 */
const X = `x-${randomUUID().slice(0, 8)}.jpg`;
let source: SourceServer;
let dataDir: string;

beforeAll(async () => {
  source = await startSourceServer();
  const jpeg = new Uint8Array(await photoJpeg(1200, 800, 90));
  source.on(
    `/${X}`,
    imageHandler(() => jpeg, { contentType: 'image/jpeg', cacheControl: 'max-age=600' }),
  );
  dataDir = await mkdtemp(join(tmpdir(), 'imgedge-e2e-source-'));
  const env: Record<string, string> = {
    API_PORT: String(await freePort()),
    EDGE_PORT: String(await freePort()),
    SOURCES: JSON.stringify({ default: `${source.url}/` }),
    SOURCES_ALLOW_PRIVATE_NETWORKS: '1',
    // The floor under the source's own max-age=600, so that max-age is what governs.
    SOURCE_TTL: '60',
    SIGNED_URLS: 'presets-free',
    // /cdn-cgi/image/ URLs unsigned (a site switching from Cloudflare keeps its URLs), /img/ not.
    CDN_CGI_SIGNED_URLS: 'off',
  };
  if (process.env.TEST_DATABASE_URL && process.env.IMGEDGE_TEST_DB !== 'pglite') {
    env.DATABASE_URL = process.env.TEST_DATABASE_URL;
  }
  stack = await startStack({ dataDir, env, useDotEnv: false, logs: 'silent' });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await source?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** `/img/<canonical>/@default/<path>?sig=…`, signed as the edge verifies it. */
async function signed(s: Stack, imgPath: string): Promise<string> {
  const request = parseImageRequest(
    imgPath.slice('/img'.length),
    new URLSearchParams(),
    {},
    parseSources(s.env.SOURCES!),
  );
  return `${request.canonicalPath}?sig=${await signPath(request.signedPath, s.env.SIGNING_KEY!)}`;
}

const get = (s: Stack, path: string, headers: Record<string, string> = {}) =>
  fetch(`${s.edgeUrl}${path}`, { headers: { accept: 'image/avif,image/webp', ...headers } });

describe('a remote image through the local stack', () => {
  it('is refused unsigned under SIGNED_URLS=presets-free, and served MISS → HIT → 304 signed', async () => {
    const s = stack!;
    const unsigned = await get(s, `/img/w=300/@default/${X}`);
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await unsigned.json()) as { code: string }).code).toBe('invalid_signature');
    const wrong = await get(s, `/img/w=300/@default/${X}?sig=AAAAAAAAAAAAAAAAAAAAAA`);
    expect(wrong.status).toBe(403);
    expect(source.count(`/${X}`)).toBe(0);

    const url = await signed(s, `/img/w=300/@default/${X}`);
    const miss = await get(s, url);
    expect([miss.status, miss.headers.get('x-cache')]).toEqual([200, 'MISS']);
    // No f= given: the default f=auto, negotiated from Accept.
    expect(miss.headers.get('content-type')).toBe('image/avif');
    expect(miss.headers.get('vary')).toBe('Accept');
    const bytes = new Uint8Array(await miss.arrayBuffer());
    expect(new TextDecoder().decode(bytes.subarray(4, 12))).toBe('ftypavif');
    const etag = miss.headers.get('etag');
    expect(etag).toBeTruthy();
    expect(source.count(`/${X}`)).toBe(1);

    const hit = await get(s, url);
    expect([hit.status, hit.headers.get('x-cache')]).toEqual([200, 'HIT']);
    expect(hit.headers.get('etag')).toBe(etag);
    expect(new Uint8Array(await hit.arrayBuffer())).toEqual(bytes);

    const notModified = await get(s, url, { 'if-none-match': etag! });
    expect([notModified.status, notModified.headers.get('x-cache')]).toEqual([304, 'HIT']);
    expect(await notModified.text()).toBe('');

    // The stored variant carries the cached source's remaining freshness (the source's
    // max-age=600, above the SOURCE_TTL floor of 60), not an uploaded image's immutable year.
    for (const res of [miss, hit]) {
      const cc = res.headers.get('cache-control') ?? '';
      expect(cc).not.toMatch(/immutable/);
      const maxAge = Number(/max-age=(\d+)/.exec(cc)?.[1]);
      expect(maxAge).toBeGreaterThan(60);
      expect(maxAge).toBeLessThanOrEqual(600);
    }
    // The source was fetched once; the HIT and the 304 never reached the origin's fetch.
    expect(source.count(`/${X}`)).toBe(1);
  }, 120_000);

  it('serves /cdn-cgi/image/ unsigned under CDN_CGI_SIGNED_URLS=off, sharing the imgedge form’s cache entry', async () => {
    const s = stack!;
    const cf = await get(s, `/cdn-cgi/image/width=300/${X}`);
    expect(cf.status).toBe(200);
    // width=300 is the signed /img/w=300/@default/<X> above: the same entry.
    expect(cf.headers.get('x-cache')).toBe('HIT');

    const before = source.count(`/${X}`);
    const cfAuto = await get(s, `/cdn-cgi/image/width=800,format=auto/${X}`);
    expect([cfAuto.status, cfAuto.headers.get('x-cache')]).toEqual([200, 'MISS']);
    expect(cfAuto.headers.get('content-type')).toBe('image/avif');
    const imgedge = await get(s, await signed(s, `/img/w=800,f=auto/@default/${X}`));
    expect([imgedge.status, imgedge.headers.get('x-cache')]).toEqual([200, 'HIT']);
    expect(imgedge.headers.get('etag')).toBe(cfAuto.headers.get('etag'));
    // A second variant of a cached, fresh source: no new request to the source.
    expect(source.count(`/${X}`)).toBe(before);
  }, 120_000);

  it('is purged through the edge: 204, then a MISS that reaches the source again', async () => {
    const s = stack!;
    const url = await signed(s, `/img/w=300/@default/${X}`);
    expect((await get(s, url)).headers.get('x-cache')).toBe('HIT');
    const before = source.count(`/${X}`);

    const unauthorised = await fetch(`${s.edgeUrl}/api/v1/sources/default/${X}`, { method: 'DELETE' });
    expect(unauthorised.status).toBe(401);
    const bearer = { authorization: `Bearer ${await clientToken(`${s.edgeUrl}/api/v1`, s.client)}` };
    const purge = await fetch(`${s.edgeUrl}/api/v1/sources/default/${X}`, {
      method: 'DELETE',
      headers: bearer,
    });
    expect(purge.status).toBe(204);
    expect(await purge.text()).toBe('');

    const after = await get(s, url);
    expect([after.status, after.headers.get('x-cache')]).toEqual([200, 'MISS']);
    // The origin forgot the cached source: it fetched it again, unconditionally.
    expect(source.count(`/${X}`)).toBe(before + 1);
    expect(source.requests.at(-1)?.headers['if-none-match']).toBeUndefined();
    // The other form's entry went with the same tag.
    const cfAuto = await get(s, `/cdn-cgi/image/width=800,format=auto/${X}`);
    expect([cfAuto.status, cfAuto.headers.get('x-cache')]).toEqual([200, 'MISS']);
    expect((await get(s, url)).headers.get('x-cache')).toBe('HIT');
  }, 120_000);
});
