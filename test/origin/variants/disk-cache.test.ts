import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CacheEvent, VariantCache } from '../../../origin/variants/disk-cache.js';

const sha = (n: number) => n.toString(16).padStart(64, 'a');
let dir: string;
let events: CacheEvent[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgedge-variants-'));
  events = [];
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const open = async (maxBytes: number) => {
  const cache = new VariantCache({ dir, maxBytes, onEvent: (e) => events.push(e) });
  await cache.init();
  return cache;
};

describe('VariantCache', () => {
  it('stores and returns bytes, counting hits and misses', async () => {
    const cache = await open(1000);
    expect(await cache.get(sha(1), 'w=10', 'webp')).toBeUndefined();
    await cache.put(sha(1), 'w=10', 'webp', Buffer.from('variant-bytes'), 'webp');
    expect(await cache.get(sha(1), 'w=10', 'webp')).toEqual({
      data: Buffer.from('variant-bytes'),
      format: 'webp',
    });
    expect(await cache.get(sha(1), 'w=10', 'avif')).toBeUndefined();
    expect(events).toEqual(['miss', 'hit', 'miss']);
    expect(cache.bytes).toBe(13);
  });

  it('evicts the least recently used variant past the byte cap', async () => {
    const cache = await open(300);
    for (const i of [1, 2, 3]) await cache.put(sha(i), 'w=1', 'png', Buffer.alloc(100, i), 'png');
    await cache.get(sha(1), 'w=1', 'png'); // 1 is now the most recent; 2 is the oldest
    await cache.put(sha(4), 'w=1', 'png', Buffer.alloc(100, 4), 'png');
    expect(events.filter((e) => e === 'eviction')).toHaveLength(1);
    expect(await cache.get(sha(2), 'w=1', 'png')).toBeUndefined();
    expect(await cache.get(sha(1), 'w=1', 'png')).toBeDefined();
    expect(cache.bytes).toBe(300);
  });

  it('rebuilds its index from disk and enforces a smaller cap at start', async () => {
    const first = await open(1000);
    for (const i of [1, 2, 3]) await first.put(sha(i), 'q=50', 'jpeg', Buffer.alloc(100, i), 'jpeg');
    const second = await open(250);
    expect(second.bytes).toBe(200);
    expect(await second.get(sha(3), 'q=50', 'jpeg')).toBeDefined();
  });

  it('keeps the produced format apart from the requested one (f=auto with alpha → png)', async () => {
    const cache = await open(1000);
    await cache.put(sha(1), '', 'jpeg', Buffer.from('png-bytes'), 'png');
    expect(await cache.get(sha(1), '', 'jpeg')).toEqual({ data: Buffer.from('png-bytes'), format: 'png' });
    const reopened = await open(1000);
    expect((await reopened.get(sha(1), '', 'jpeg'))?.format).toBe('png');
  });

  it('removes every variant of a source', async () => {
    const cache = await open(1000);
    await cache.put(sha(1), 'w=1', 'png', Buffer.alloc(10), 'png');
    await cache.put(sha(1), 'w=2', 'png', Buffer.alloc(10), 'png');
    await cache.put(sha(2), 'w=1', 'png', Buffer.alloc(10), 'png');
    await cache.removeSource(sha(1));
    expect(cache.bytes).toBe(10);
    expect(await cache.get(sha(1), 'w=2', 'png')).toBeUndefined();
    expect(await readdir(join(dir, 'aa'))).toEqual([sha(2)]);
  });
});
