/**
 * A DELETE through the local stack (origin + `wrangler dev`) also drops the image's variants from
 * the edge's own cache (the Cache API, persisted under DATA_DIR/wrangler-state), so they stop
 * answering `200 X-Cache: HIT` at once, and still after the stack restarts.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/ports.js';
import { type Stack, startStack } from '../../scripts/stack.js';
import { parseImageRequest } from '../../shared/options/index.js';
import { signPath } from '../../shared/signature.js';
import { photoJpeg } from '../support/images.js';
import { clientToken } from '../support/oauth.js';

let stack: Stack | undefined;
let dataDir: string;
let env: Record<string, string>;

const start = () => startStack({ dataDir, env, useDotEnv: false, logs: 'silent' });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'imgedge-e2e-delete-'));
  env = { API_PORT: String(await freePort()), EDGE_PORT: String(await freePort()) };
  if (process.env.TEST_DATABASE_URL && process.env.IMGEDGE_TEST_DB !== 'pglite') {
    env.DATABASE_URL = process.env.TEST_DATABASE_URL;
  }
  stack = await start();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

function token(s: Stack): Promise<string> {
  return clientToken(`${s.edgeUrl}/api/v1`, s.client);
}

describe('DELETE through the local stack', () => {
  it('stops the edge cache from serving the deleted image, also after a restart', async () => {
    let s = stack!;
    const bearer = { authorization: `Bearer ${await token(s)}` };
    const upload = await fetch(`${s.edgeUrl}/api/v1/images`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'image/jpeg' },
      body: new Uint8Array(await photoJpeg(640, 480, 91)),
    });
    expect(upload.status).toBe(201);
    const { id } = (await upload.json()) as { id: string };

    // A negotiated variant (f=auto → class avif) and an explicit one (w=120,f=webp).
    const explicit = parseImageRequest(`/w=120,f=webp/${id}`, new URLSearchParams(), {}).canonicalPath;
    const urls = [
      { path: `/img/card/${id}`, accept: 'image/avif,image/webp' },
      {
        path: `${explicit}?sig=${await signPath(explicit, s.env.SIGNING_KEY!)}`,
        accept: '*/*',
      },
    ];
    const get = (u: (typeof urls)[number]) =>
      fetch(`${s.edgeUrl}${u.path}`, { headers: { accept: u.accept } });
    for (const u of urls) {
      expect((await get(u)).headers.get('x-cache')).toBe('MISS');
      const hit = await get(u);
      expect([hit.status, hit.headers.get('x-cache')]).toEqual([200, 'HIT']);
    }

    const del = await fetch(`${s.edgeUrl}/api/v1/images/${id}`, { method: 'DELETE', headers: bearer });
    expect(del.status).toBe(204);
    expect(await del.text()).toBe('');

    for (const u of urls) {
      const after = await get(u);
      expect([after.status, after.headers.get('x-cache')]).not.toEqual([200, 'HIT']);
      expect(after.status).toBe(404);
    }

    await s.stop();
    stack = undefined;
    s = await start();
    stack = s;
    for (const u of urls) {
      const after = await get(u);
      expect(after.status).toBe(404);
    }
  }, 240_000);
});
