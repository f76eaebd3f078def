/**
 * EAGER_PRESETS end to end: the real origin and the real worker (workerd under `wrangler dev`,
 * started as `npm start` starts them). After an upload through the edge, the origin renders the
 * thumb preset in the background; the first `/img/thumb/<id>` through the edge — a MISS at the
 * edge, whatever format class the browser negotiates — is then a cache hit at the origin: no
 * transform runs on its request path (the origin's transform and cache counters say so).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/ports.js';
import { type Stack, startStack } from '../../scripts/stack.js';
import { photoJpeg } from '../support/images.js';
import { scrapeMetric } from '../support/metrics.js';
import { clientToken } from '../support/oauth.js';

describe('local stack with EAGER_PRESETS=thumb', () => {
  let stack: Stack;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'imgedge-e2e-eager-'));
    const env: Record<string, string> = {
      API_PORT: String(await freePort()),
      EDGE_PORT: String(await freePort()),
      EAGER_PRESETS: 'thumb',
    };
    if (process.env.TEST_DATABASE_URL && process.env.IMGEDGE_TEST_DB !== 'pglite') {
      env.DATABASE_URL = process.env.TEST_DATABASE_URL;
    }
    stack = await startStack({ dataDir, env, useDotEnv: false, logs: 'silent' });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('the first /img/thumb/<id> through the edge runs no transform at the origin', async () => {
    const api = `${stack.edgeUrl}/api/v1`;
    const token = await clientToken(api, stack.client);
    const origin = (name: string, labels: Record<string, string> = {}) =>
      scrapeMetric(stack.originUrl, name, labels);
    const eagerBefore = await origin('imgedge_background_tasks_total', { task: 'eager_preset' });

    const upload = await fetch(`${api}/images`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'image/jpeg' },
      body: new Uint8Array(await photoJpeg(1024, 768, 41)),
    });
    expect(upload.status).toBe(201);
    const { id } = (await upload.json()) as { id: string };

    // The three eager renders (avif, webp, jpeg classes) finish in the background.
    for (let i = 0; i < 400; i++) {
      if ((await origin('imgedge_background_tasks_total', { task: 'eager_preset' })) - eagerBefore >= 3)
        break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(
      (await origin('imgedge_background_tasks_total', { task: 'eager_preset', result: 'ok' })) - eagerBefore,
    ).toBe(3);

    const transforms = await origin('imgedge_transforms_total');
    const hits = await origin('imgedge_variant_cache_total', { event: 'hit' });
    const accepts = [
      ['image/avif,image/webp,*/*', 'image/avif'],
      ['image/webp,*/*', 'image/webp'],
      ['image/*', 'image/jpeg'],
    ] as const;
    for (const [accept, type] of accepts) {
      const res = await fetch(`${stack.edgeUrl}/img/thumb/${id}`, { headers: { accept } });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-cache')).toBe('MISS');
      expect(res.headers.get('content-type')).toBe(type);
      await res.arrayBuffer();
    }
    // Three edge misses, three origin cache hits, not one transform.
    expect(await origin('imgedge_transforms_total')).toBe(transforms);
    expect((await origin('imgedge_variant_cache_total', { event: 'hit' })) - hits).toBe(3);
  });
});
