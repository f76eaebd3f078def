import { describe, expect, it } from 'vitest';
import { ImageIdCache } from '../../../origin/variants/id-cache.js';

describe('ImageIdCache', () => {
  it('remembers ids until they expire or are forgotten, and keeps at most maxEntries', () => {
    let now = 0;
    const cache = new ImageIdCache(2, 1000, () => now);
    cache.set('a', 'sha-a');
    cache.set('b', 'sha-b');
    expect(cache.get('a')).toBe('sha-a');
    now = 999;
    expect(cache.get('b')).toBe('sha-b');
    now = 1000;
    expect(cache.get('a')).toBeUndefined();
    cache.set('c', 'sha-c');
    cache.set('d', 'sha-d');
    cache.set('e', 'sha-e'); // over the limit: the oldest (c) goes
    expect(cache.get('c')).toBeUndefined();
    expect(cache.get('e')).toBe('sha-e');
    cache.forget('e');
    expect(cache.get('e')).toBeUndefined();
  });
});
