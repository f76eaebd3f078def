/**
 * Client hints (w=auto, dpr=auto): the resolution rules of shared/options/client-hints.ts — ladder
 * rounding, fallbacks, Save-Data, hostile header values, the Vary list, and that nothing `auto`
 * ever reaches the canonical form the origin gets. The expectations are written out here.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImgedgeError } from '../../../shared/errors.js';
import {
  assertResolved,
  canonicalize,
  parseImageRequest,
  parseOptions,
  resolveClientHints,
} from '../../../shared/options/index.js';

const LADDER = [160, 320, 480, 640, 768, 1024, 1280, 1536, 1920, 2560, 3840];

const headersOf = (h: Record<string, string>) => {
  const lower = new Map(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
  return (name: string) => lower.get(name.toLowerCase());
};
const resolve = (options: string, headers: Record<string, string> = {}) =>
  resolveClientHints(parseOptions(options), headersOf(headers));

describe('the grammar', () => {
  it('accepts auto for w and dpr only, and keeps it in the canonical (signed) form', () => {
    expect(parseOptions('width=auto,dpr=auto')).toEqual({ w: 'auto', dpr: 'auto' });
    expect(canonicalize(parseOptions('dpr=auto,w=auto,f=json'))).toBe('w=auto,f=json,dpr=auto');
    const req = parseImageRequest('/w=auto/abcdefgh', new URLSearchParams(), {});
    expect(req.signedPath).toBe('/img/w=auto/abcdefgh');
  });
});

describe('w=auto', () => {
  it.each([
    [{ 'Sec-CH-Width': '1' }, 160],
    [{ 'Sec-CH-Width': '160' }, 160],
    [{ 'Sec-CH-Width': '161' }, 320],
    [{ 'Sec-CH-Width': '700' }, 768],
    [{ 'Sec-CH-Width': '3840' }, 3840],
    [{ 'Sec-CH-Width': '99999' }, 3840],
    // Sec-CH-Width is in device pixels already: Sec-CH-DPR does not multiply it.
    [{ 'Sec-CH-Width': '500', 'Sec-CH-DPR': '3' }, 640],
    // Viewport-Width is in CSS pixels: × Sec-CH-DPR.
    [{ 'Sec-CH-Viewport-Width': '400', 'Sec-CH-DPR': '2' }, 1024],
    [{ 'Sec-CH-Viewport-Width': '400' }, 480],
    // No hints: 1080 CSS px × Sec-CH-DPR.
    [{}, 1280],
    [{ 'Sec-CH-DPR': '2' }, 2560],
    [{ 'Sec-CH-DPR': '9' }, 3840],
    [{ 'Sec-CH-DPR': '0.5' }, 1280],
  ])('%o → w=%i on the ladder, dpr folded in', (headers, w) => {
    const { options } = resolve('w=auto', headers);
    expect(options).toEqual({ w });
  });

  it('an explicit dpr multiplies the CSS width (viewport or fallback), not Sec-CH-Width', () => {
    expect(resolve('w=auto,dpr=2', { 'Sec-CH-DPR': '3' }).options).toEqual({ w: 2560 });
    expect(resolve('w=auto,dpr=2', { 'Sec-CH-Width': '300' }).options).toEqual({ w: 320 });
  });

  it('resolves every hint to a ladder step (bounded cache entries)', () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: 0, max: 200_000 })),
        fc.option(fc.integer({ min: 0, max: 200_000 })),
        fc.option(fc.double({ min: 0, max: 20, noNaN: true })),
        (width, viewport, dpr) => {
          const h: Record<string, string> = {};
          if (width !== null) h['Sec-CH-Width'] = String(width);
          if (viewport !== null) h['Sec-CH-Viewport-Width'] = String(viewport);
          if (dpr !== null) h['Sec-CH-DPR'] = String(dpr);
          const { options } = resolve('w=auto', h);
          expect(LADDER).toContain(options.w);
          expect(canonicalize(options)).not.toContain('auto');
        },
      ),
    );
  });

  it.each([
    ['-500'],
    ['1e4'],
    ['0x100'],
    ['500.5'],
    ['0'],
    ['123456'],
    [' '],
    ['５００'],
    ['500, 600'],
    ['x'.repeat(10_000)],
  ])('a hostile Sec-CH-Width %j is ignored (falls back)', (value) => {
    expect(resolve('w=auto', { 'Sec-CH-Width': value }).options).toEqual({ w: 1280 });
  });

  it.each([['-2'], ['NaN'], ['Infinity'], ['2e0'], ['1'.repeat(5000)]])(
    'a hostile Sec-CH-DPR %j counts as 1',
    (value) => {
      expect(resolve('w=auto', { 'Sec-CH-DPR': value }).options).toEqual({ w: 1280 });
    },
  );

  it('Vary lists exactly the headers consulted', () => {
    expect(resolve('w=auto', { 'Sec-CH-Width': '500' }).vary).toEqual(['Sec-CH-Width', 'Save-Data']);
    expect(resolve('w=auto', { 'Sec-CH-Viewport-Width': '500' }).vary).toEqual([
      'Sec-CH-Width',
      'Sec-CH-Viewport-Width',
      'Sec-CH-DPR',
      'Save-Data',
    ]);
    expect(resolve('w=auto,dpr=2').vary).toEqual(['Sec-CH-Width', 'Sec-CH-Viewport-Width', 'Save-Data']);
    expect(resolve('dpr=auto,w=300').vary).toEqual(['Sec-CH-DPR', 'Save-Data']);
    expect(resolve('w=300,dpr=2', { 'Save-Data': 'on', 'Sec-CH-DPR': '3' })).toEqual({
      options: { w: 300, dpr: 2 },
      vary: [],
    });
  });
});

describe('dpr=auto', () => {
  it.each([
    [{}, undefined],
    [{ 'Sec-CH-DPR': '1' }, undefined],
    [{ 'Sec-CH-DPR': '1.25' }, 1.5],
    [{ 'Sec-CH-DPR': '2' }, 2],
    [{ 'Sec-CH-DPR': '2.625' }, 3],
    [{ 'Sec-CH-DPR': '7' }, 4],
  ])('%o → dpr %s (1 is the default, dropped)', (headers, dpr) => {
    const { options } = resolve('w=300,dpr=auto', headers);
    expect(normalized(options)).toEqual(dpr === undefined ? { w: 300 } : { w: 300, dpr });
  });
});

describe('Save-Data', () => {
  it.each([
    ['w=auto', { 'Save-Data': 'on' }, 45],
    ['w=auto,q=80', { 'Save-Data': 'on' }, 48],
    ['w=auto,q=1', { 'Save-Data': 'ON' }, 1],
    ['w=auto,q=80', { 'Save-Data': 'off' }, 80],
    ['w=auto,q=80', { 'Save-Data': 'onn' }, 80],
  ])('%s with %o → q=%i', (options, headers, q) => {
    expect(resolve(options, { 'Sec-CH-Width': '300', ...headers }).options.q).toBe(q);
  });
});

describe('the origin never takes auto', () => {
  it('assertResolved (the variant route) refuses w=auto and dpr=auto with invalid_option', () => {
    for (const options of [{ w: 'auto' as const }, { dpr: 'auto' as const }]) {
      expect(() => assertResolved(options)).toThrow(ImgedgeError);
    }
    expect(assertResolved({ w: 300, dpr: 2 })).toEqual({ w: 300, dpr: 2 });
  });
});

function normalized<T extends object>(options: T): T {
  return parseOptions(canonicalize(options)) as T;
}
