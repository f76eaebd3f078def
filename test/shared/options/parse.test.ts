import { describe, expect, it } from 'vitest';
import { ImgedgeError } from '../../../shared/errors.js';
import {
  canonicalize,
  type ImageOptions,
  normalizeOptions,
  OPTION_DEFAULTS,
  OPTION_KEYS,
  OPTION_SPECS,
  parseOptions,
} from '../../../shared/options/index.js';
import { CANONICAL_ORDER, DEFAULTS } from './arbitraries.js';

/** [input, parsed, canonical] for every key's accepted values, aliases and spellings. */
const ACCEPTED: [string, ImageOptions, string][] = [
  ['w=1', { w: 1 }, 'w=1'],
  ['w=8192', { w: 8192 }, 'w=8192'],
  ['width=800', { w: 800 }, 'w=800'],
  ['h=1', { h: 1 }, 'h=1'],
  ['height=8192', { h: 8192 }, 'h=8192'],
  ['fit=cover', { fit: 'cover' }, 'fit=cover'],
  ['fit=contain', { fit: 'contain' }, 'fit=contain'],
  ['fit=fill', { fit: 'fill' }, 'fit=fill'],
  ['fit=outside', { fit: 'outside' }, 'fit=outside'],
  ['fit=inside', { fit: 'inside' }, ''],
  ['fit=crop', { fit: 'crop' }, 'fit=crop'],
  ...([
    'north',
    'northeast',
    'east',
    'southeast',
    'south',
    'southwest',
    'west',
    'northwest',
    'attention',
    'entropy',
  ].map((g) => [`g=${g}`, { g }, `g=${g}`]) as [string, ImageOptions, string][]),
  ['g=center', { g: 'center' }, ''],
  ['gravity=attention', { g: 'attention' }, 'g=attention'],
  // A focal point: two fractions, canonical as decimals; its centre is `center`.
  ['g=0.25x0.75', { g: '0.25x0.75' }, 'g=0.25x0.75'],
  ['g=0.250x0.7', { g: '0.25x0.7' }, 'g=0.25x0.7'],
  ['g=0x1', { g: '0x1' }, 'g=0x1'],
  ['g=1.000x0.0', { g: '1x0' }, 'g=1x0'],
  ['gravity=0.001x0.999', { g: '0.001x0.999' }, 'g=0.001x0.999'],
  ['g=0.5x0.5', { g: 'center' }, ''],
  ['g=0.500x0.50', { g: 'center' }, ''],
  ['f=auto', { f: 'auto' }, ''],
  ...(['avif', 'webp', 'jpeg', 'png', 'gif'].map((f) => [`f=${f}`, { f }, `f=${f}`]) as [
    string,
    ImageOptions,
    string,
  ][]),
  ['format=webp', { f: 'webp' }, 'f=webp'],
  ['q=1', { q: 1 }, 'q=1'],
  ['quality=100', { q: 100 }, 'q=100'],
  ['dpr=1', { dpr: 1 }, ''],
  ['dpr=1.000', { dpr: 1 }, ''],
  ['dpr=1.5', { dpr: 1.5 }, 'dpr=1.5'],
  ['dpr=1.50', { dpr: 1.5 }, 'dpr=1.5'],
  ['dpr=2.0', { dpr: 2 }, 'dpr=2'],
  ['dpr=1.125', { dpr: 1.125 }, 'dpr=1.125'],
  ['dpr=4', { dpr: 4 }, 'dpr=4'],
  ['blur=0.3', { blur: 0.3 }, 'blur=0.3'],
  ['blur=0.300', { blur: 0.3 }, 'blur=0.3'],
  ['blur=250', { blur: 250 }, 'blur=250'],
  ['sharpen=0', { sharpen: 0 }, ''],
  ['sharpen=0.0', { sharpen: 0 }, ''],
  ['sharpen=0.5', { sharpen: 0.5 }, 'sharpen=0.5'],
  ['sharpen=10', { sharpen: 10 }, 'sharpen=10'],
  ['rot=0', { rot: 0 }, ''],
  ['rot=90', { rot: 90 }, 'rot=90'],
  ['rot=180', { rot: 180 }, 'rot=180'],
  ['rotate=270', { rot: 270 }, 'rot=270'],
  ['flip=h', { flip: 'h' }, 'flip=h'],
  ['flip=v', { flip: 'v' }, 'flip=v'],
  ['flip=hv', { flip: 'hv' }, 'flip=hv'],
  ['bg=fff', { bg: 'ffffff' }, 'bg=ffffff'],
  ['bg=FFF', { bg: 'ffffff' }, 'bg=ffffff'],
  ['bg=f008', { bg: 'ff000088' }, 'bg=ff000088'],
  ['bg=f00f', { bg: 'ff0000' }, 'bg=ff0000'],
  ['bg=AbCdEf', { bg: 'abcdef' }, 'bg=abcdef'],
  ['bg=112233ff', { bg: '112233' }, 'bg=112233'],
  ['bg=11223380', { bg: '11223380' }, 'bg=11223380'],
  ['background=000', { bg: '000000' }, 'bg=000000'],
  ['trim=1', { trim: 1 }, 'trim=1'],
  ['trim=100', { trim: 100 }, 'trim=100'],
  ['anim=1', { anim: true }, ''],
  ['anim=0', { anim: false }, 'anim=0'],
  ['enlarge=0', { enlarge: false }, ''],
  ['enlarge=1', { enlarge: true }, 'enlarge=1'],
  ['wm=logo', { wm: 'logo' }, 'wm=logo'],
  ['watermark=logo', { wm: 'logo' }, 'wm=logo'],
  ['wm=0', { wm: '0' }, 'wm=0'],
  [`wm=a${'_-9'.repeat(10)}b`, { wm: `a${'_-9'.repeat(10)}b` }, `wm=a${'_-9'.repeat(10)}b`],
  ['wm=logo,w=10', { wm: 'logo', w: 10 }, 'w=10,wm=logo'],
];

describe('the option table', () => {
  it('lists every key once, in the canonical order of the contract', () => {
    expect(OPTION_KEYS).toEqual(CANONICAL_ORDER);
    const names = OPTION_SPECS.flatMap((s) => [s.key, ...s.aliases]);
    expect(new Set(names).size).toBe(names.length);
  });

  it('has the contract defaults', () => {
    expect({ ...OPTION_DEFAULTS }).toEqual(DEFAULTS);
  });
});

describe('parseOptions: accepted values', () => {
  it.each(ACCEPTED)('%s', (input, parsed, canonical) => {
    expect(parseOptions(input)).toEqual(parsed);
    expect(canonicalize(parseOptions(input))).toBe(canonical);
  });

  it('reads the query form from URLSearchParams and from [key, value] pairs', () => {
    const expected = { w: 800, h: 600, fit: 'cover', f: 'webp' };
    expect(parseOptions(new URLSearchParams('width=800&h=600&fit=cover&format=webp'))).toEqual(expected);
    expect(
      parseOptions([
        ['w', '800'],
        ['height', '600'],
        ['fit', 'cover'],
        ['f', 'webp'],
      ]),
    ).toEqual(expected);
    expect(parseOptions(new Map([['w', '800']]))).toEqual({ w: 800 });
  });

  it('treats the empty string and an empty query as no options', () => {
    expect(parseOptions('')).toEqual({});
    expect(parseOptions(new URLSearchParams())).toEqual({});
  });

  it('returns a plain object holding only table keys', () => {
    const opts = parseOptions('w=1,h=2');
    expect(Object.getPrototypeOf(opts)).toBe(Object.prototype);
    expect(Object.keys(opts)).toEqual(['w', 'h']);
  });
});

describe('canonicalize', () => {
  it('orders keys, folds aliases, drops defaults', () => {
    const input =
      'enlarge=1,anim=0,trim=5,background=F00,flip=hv,rotate=90,sharpen=1.50,blur=2,dpr=2.0,quality=75,format=webp,gravity=attention,fit=cover,height=600,width=800';
    expect(canonicalize(parseOptions(input))).toBe(
      'w=800,h=600,fit=cover,g=attention,f=webp,q=75,dpr=2,blur=2,sharpen=1.5,rot=90,flip=hv,bg=ff0000,trim=5,anim=0,enlarge=1',
    );
    expect(
      canonicalize(parseOptions('fit=inside,g=center,f=auto,dpr=1,sharpen=0,rot=0,anim=1,enlarge=0')),
    ).toBe('');
    expect(canonicalize({})).toBe('');
  });

  it('normalizes values given as ImageOptions (hex case and alpha)', () => {
    expect(canonicalize({ bg: 'ABCDEFFF', w: 10 })).toBe('w=10,bg=abcdef');
    expect(normalizeOptions({ bg: 'FFF', fit: 'inside', w: 10 })).toEqual({ w: 10, bg: 'ffffff' });
  });

  it.each<[ImageOptions, string]>([
    [{ w: 0 }, 'w'],
    [{ w: 1.5 }, 'w'],
    [{ w: Number.NaN }, 'w'],
    [{ h: Number.POSITIVE_INFINITY }, 'h'],
    [{ dpr: 1.23456 }, 'dpr'],
    [{ dpr: 1e-7 }, 'dpr'],
    [{ q: 101 }, 'q'],
    [{ fit: 'Cover' as never }, 'fit'],
    [{ rot: 45 as never }, 'rot'],
    [{ anim: 'yes' as never }, 'anim'],
    [{ bg: '#fff' }, 'bg'],
  ])('refuses out-of-grammar value %j (key %s)', (opts, key) => {
    try {
      canonicalize(opts);
      expect.unreachable('canonicalize accepted an invalid value');
    } catch (err) {
      expect(err).toBeInstanceOf(ImgedgeError);
      expect((err as ImgedgeError).code).toBe('invalid_option');
      expect((err as ImgedgeError).extra.key).toBe(key);
    }
  });
});

describe('error messages', () => {
  const errorOf = (input: string): ImgedgeError => {
    try {
      parseOptions(input);
    } catch (err) {
      if (err instanceof ImgedgeError) return err;
      throw err;
    }
    throw new Error(`accepted ${input}`);
  };

  it('name the key, the value and what is allowed', () => {
    const err = errorOf('w=abc');
    expect(err.status).toBe(400);
    expect(err.message).toBe('w must be an integer from 1 to 8192 or auto, got "abc"');
    expect(err.extra).toEqual({ key: 'w', value: 'abc', allowed: '1..8192|auto' });
  });

  it('show the alias the user wrote and the canonical key', () => {
    const err = errorOf('width=0');
    expect(err.message).toBe('width (w) must be an integer from 1 to 8192 or auto, got "0"');
    expect(err.extra).toEqual({ key: 'w', value: '0', allowed: '1..8192|auto' });
  });

  it.each([
    ['dpr=5', 'dpr must be a number from 1 to 4 with at most 3 decimals, or auto, got "5"', '1..4|auto'],
    [
      'fit=squash',
      'fit must be one of cover, contain, fill, inside, outside, crop, got "squash"',
      'cover|contain|fill|inside|outside|crop',
    ],
    [
      'g=0.5x1.5',
      'g must be one of center, north, northeast, east, southeast, south, southwest, west, northwest, attention, entropy, or a focal point <x>x<y> (each from 0 to 1 with at most 3 decimals), got "0.5x1.5"',
      'center|north|northeast|east|southeast|south|southwest|west|northwest|attention|entropy|<x>x<y>',
    ],
    ['rot=45', 'rot must be one of 0, 90, 180, 270, got "45"', '0|90|180|270'],
    ['anim=yes', 'anim must be 0 or 1, got "yes"', '0|1'],
    [
      'bg=#fff',
      'bg must be a hex colour rgb, rgba, rrggbb or rrggbbaa (without #), got "#fff"',
      'rgb|rgba|rrggbb|rrggbbaa',
    ],
  ])('%s', (input, message, allowed) => {
    const err = errorOf(input);
    expect(err.message).toBe(message);
    expect(err.extra.allowed).toBe(allowed);
  });

  it('list the known options for an unknown key', () => {
    const err = errorOf('zoom=1');
    expect(err.message).toContain('unknown option "zoom"');
    expect(err.message).toContain(
      'w, h, fit, g, f, q, dpr, blur, sharpen, rot, flip, bg, trim, crop, pad, anim, enlarge',
    );
    expect(err.message).toContain('width');
    expect(err.extra).toMatchObject({ key: 'zoom', value: '1' });
  });

  it('name both spellings of a duplicate', () => {
    const err = errorOf('w=1,width=2');
    expect(err.message).toBe(
      'width (w) is given more than once (second value "2"); each option may appear once',
    );
    expect(err.extra).toEqual({ key: 'w', value: '2', allowed: 'once' });
  });

  it('escape control characters and truncate long values', () => {
    expect(errorOf('w=1\u0000').message).toBe('w must be an integer from 1 to 8192 or auto, got "1\\u0000"');
    const long = errorOf(`w=${'9'.repeat(100_000)}`);
    expect(long.message.length).toBeLessThan(200);
    expect(long.extra.value).toBe(`${'9'.repeat(64)}…`);
  });
});
