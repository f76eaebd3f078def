/** Property tests of the canonical form: the cache key must be stable, lossless and unique. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize, normalizeOptions, parseOptions } from '../../../shared/options/index.js';
import {
  CANONICAL_ORDER,
  DEFAULTS,
  dropDefaults,
  imageOptions,
  type Key,
  spelledOptions,
  toOptions,
  toPathForm,
  toQuery,
} from './arbitraries.js';

describe('canonical form (properties)', () => {
  it('is idempotent: canonicalize(parseOptions(canonicalize(x))) === canonicalize(x)', () => {
    fc.assert(
      fc.property(imageOptions, (opts) => {
        const c = canonicalize(opts);
        expect(canonicalize(parseOptions(c))).toBe(c);
      }),
    );
  });

  it('is idempotent from any spelling of the options', () => {
    fc.assert(
      fc.property(spelledOptions, (list) => {
        const c = canonicalize(parseOptions(toPathForm(list)));
        expect(canonicalize(parseOptions(c))).toBe(c);
      }),
    );
  });

  it('round-trips: parseOptions(canonicalize(o)) equals o without its defaults', () => {
    fc.assert(
      fc.property(imageOptions, (opts) => {
        expect(parseOptions(canonicalize(opts))).toStrictEqual(dropDefaults(opts));
        expect(normalizeOptions(opts)).toStrictEqual(dropDefaults(opts));
      }),
    );
  });

  it('every spelling (aliases, order, number and colour spelling, path or query) has one canonical form', () => {
    fc.assert(
      fc.property(spelledOptions, (list) => {
        const expected = canonicalize(toOptions(list));
        expect(canonicalize(parseOptions(toPathForm(list)))).toBe(expected);
        expect(canonicalize(parseOptions(toQuery(list)))).toBe(expected);
        expect(parseOptions(toPathForm(list))).toStrictEqual(toOptions(list));
      }),
    );
  });

  it('uses short keys in table order, with no default value', () => {
    fc.assert(
      fc.property(imageOptions, (opts) => {
        const c = canonicalize(opts);
        if (c === '') {
          expect(dropDefaults(opts)).toEqual({});
          return;
        }
        const pairs = c.split(',').map((s) => s.split('=') as [Key, string]);
        const positions = pairs.map(([k]) => CANONICAL_ORDER.indexOf(k));
        expect(positions.every((p) => p >= 0)).toBe(true);
        expect([...positions].sort((a, b) => a - b)).toEqual(positions);
        expect(new Set(positions).size).toBe(positions.length);
        for (const [k] of pairs) expect(dropDefaults(opts)[k]).not.toBe(DEFAULTS[k]);
        expect(pairs.length).toBe(Object.keys(dropDefaults(opts)).length);
      }),
    );
  });

  it('is injective: different options never share a cache key', () => {
    fc.assert(
      fc.property(imageOptions, imageOptions, (a, b) => {
        const same = JSON.stringify(sorted(dropDefaults(a))) === JSON.stringify(sorted(dropDefaults(b)));
        expect(canonicalize(a) === canonicalize(b)).toBe(same);
      }),
    );
  });
});

function sorted(o: object): [string, unknown][] {
  return Object.entries(o).sort(([x], [y]) => x.localeCompare(y));
}
