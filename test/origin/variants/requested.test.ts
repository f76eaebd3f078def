/**
 * The variant cache remembers which variants it made of a source (for the edge to drop on a
 * delete), through eviction and restarts, until the source's variants are removed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VariantCache } from '../../../origin/variants/disk-cache.js';

const sha = (n: number) => n.toString(16).padStart(64, 'b');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgedge-requested-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const open = async (maxBytes: number) => {
  const cache = new VariantCache({ dir, maxBytes });
  await cache.init();
  return cache;
};

describe('VariantCache.requested', () => {
  it('lists each variant made once, even evicted or too large to keep, and after a restart', async () => {
    const cache = await open(150);
    await cache.put(sha(1), 'w=10', 'avif', Buffer.alloc(100), 'avif');
    await cache.put(sha(1), '', 'jpeg', Buffer.alloc(100), 'png'); // evicts w=10
    await cache.put(sha(1), 'w=10', 'avif', Buffer.alloc(100), 'avif'); // made again
    await cache.put(sha(1), 'w=2000', 'webp', Buffer.alloc(500), 'webp'); // never stored
    await cache.put(sha(2), 'w=5', 'png', Buffer.alloc(10), 'png');
    const expected = [
      { canonical: 'w=10', format: 'avif' },
      { canonical: '', format: 'jpeg' },
      { canonical: 'w=2000', format: 'webp' },
    ];
    expect(await cache.requested(sha(1))).toEqual(expected);
    const reopened = await open(150);
    expect(await reopened.requested(sha(1))).toEqual(expected);
    expect(await reopened.requested(sha(3))).toEqual([]);
    await reopened.removeSource(sha(1));
    expect(await reopened.requested(sha(1))).toEqual([]);
    expect(await reopened.requested(sha(2))).toEqual([{ canonical: 'w=5', format: 'png' }]);
  });
});
