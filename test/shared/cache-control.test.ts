/** sharedMaxAge: how long the edge may keep a remote image's variant, from the origin's Cache-Control. */
import { describe, expect, it } from 'vitest';
import { sharedMaxAge } from '../../shared/http/cache-control.js';

describe('sharedMaxAge', () => {
  it.each<[string | null, number | undefined]>([
    ['public, max-age=300', 300],
    ['max-age=1', 1],
    ['PUBLIC, MAX-AGE=60', 60],
    ['public, max-age="120"', 120],
    ['public, max-age=600, s-maxage=30', 30],
    ['public, max-age=31536000, immutable', 31_536_000],
    // Not to be stored by a shared cache.
    ['public, max-age=0', undefined],
    ['no-store', undefined],
    ['private, max-age=300', undefined],
    ['no-cache, max-age=300', undefined],
    ['public', undefined],
    ['max-age=-5', undefined],
    ['max-age=1e3', undefined],
    ['max-age=99999999999', undefined],
    ['', undefined],
    [null, undefined],
  ])('%j → %j', (header, expected) => {
    expect(sharedMaxAge(header)).toBe(expected);
  });
});
