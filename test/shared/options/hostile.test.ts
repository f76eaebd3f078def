/**
 * Hostile inputs: each must be refused with the exact error code and key, and none may pollute
 * a prototype.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type ErrorCode, ImgedgeError } from '../../../shared/errors.js';
import {
  canonicalize,
  compilePresets,
  parseImageRequest,
  parseOptions,
} from '../../../shared/options/index.js';

const ID = 'abcdefgh';
const LONG = 100 * 1024;

/** [label, option string, key] → invalid_option with extra.key === key. */
const OPTION_STRINGS: [string, string, string | null][] = [
  ['exponent', 'w=1e9', 'w'],
  ['hex number', 'w=0x10', 'w'],
  ['leading zero', 'w=08', 'w'],
  ['negative', 'w=-1', 'w'],
  ['plus sign', 'w=+1', 'w'],
  ['fraction for an int', 'w=1.5', 'w'],
  ['percent-encoded digit in the path', 'w=%31', 'w'],
  ['semicolon smuggling', 'w=1;h=2', 'w'],
  ['second = in the value', 'w==1', 'w'],
  ['duplicate key', 'w=800,w=900', 'w'],
  ['duplicate via alias', 'w=1,width=2', 'w'],
  ['duplicate via alias, alias first', 'format=webp,f=avif', 'f'],
  ['fullwidth digits', 'w=８００', 'w'],
  ['arabic-indic digits', 'w=١٢٣', 'w'],
  ['NUL byte', 'w=1\u0000', 'w'],
  ['leading space in value', 'w= 1', 'w'],
  ['trailing space in value', 'w=1 ', 'w'],
  ['leading space in key', ' w=1', ' w'],
  ['empty value', 'w=', 'w'],
  ['zero', 'w=0', 'w'],
  ['above 8192', 'h=8193', 'h'],
  ['huge integer', 'w=99999999999999999999999', 'w'],
  ['100 KB number', `w=${'1'.repeat(LONG)}`, 'w'],
  ['100 KB of repeats', 'w=1,'.repeat(LONG / 4), 'w'],
  ['100 KB key', `${'a'.repeat(LONG)}=1`, `${'a'.repeat(64)}…`],
  ['__proto__', '__proto__=1', '__proto__'],
  ['constructor', 'constructor=1', 'constructor'],
  ['toString', 'toString=1', 'toString'],
  ['hasOwnProperty', 'hasOwnProperty=1', 'hasOwnProperty'],
  ['upper-case key', 'W=100', 'W'],
  ['auto in upper case', 'w=AUTO', 'w'],
  ['auto with a space', 'w=auto ', 'w'],
  ['auto for a key without hints', 'h=auto', 'h'],
  ['auto for quality', 'q=auto', 'q'],
  ['auto twice', 'w=auto,width=auto', 'w'],
  ['auto and a number', 'dpr=auto,dpr=2', 'dpr'],
  ['json as a quality', 'q=json', 'q'],
  ['JSON in upper case', 'f=JSON', 'f'],
  ['sig is not an option', 'sig=abc', 'sig'],
  ['upper-case format', 'f=AVIF', 'f'],
  ['jpg is not a format name', 'format=jpg', 'f'],
  ['upper-case fit', 'fit=Cover', 'fit'],
  ['british gravity', 'g=centre', 'g'],
  ['focal point above 1', 'g=1.001x0.5', 'g'],
  ['focal point below 0', 'g=-0.1x0.5', 'g'],
  ['focal point, one coordinate', 'g=0.5', 'g'],
  ['focal point, three coordinates', 'g=0.1x0.2x0.3', 'g'],
  ['focal point, four decimals', 'g=0.1234x0.5', 'g'],
  ['focal point, upper-case X', 'g=0.5X0.5', 'g'],
  ['focal point, comma', 'g=0.5;0.5', 'g'],
  ['focal point, leading dot', 'g=.5x.5', 'g'],
  ['focal point, exponent', 'g=1e-1x0.5', 'g'],
  ['focal point, spaces', 'g=0.5 x 0.5', 'g'],
  ['focal point, 100 KB', `g=0.${'1'.repeat(LONG)}x0.5`, 'g'],
  ['hash in colour', 'bg=#fff', 'bg'],
  ['not hex', 'bg=ggg', 'bg'],
  ['two hex digits', 'bg=ff', 'bg'],
  ['five hex digits', 'bg=fffff', 'bg'],
  ['named colour', 'background=red', 'bg'],
  ['quality zero', 'q=0', 'q'],
  ['quality 101', 'q=101', 'q'],
  ['dpr just above 4', 'dpr=4.0001', 'dpr'],
  ['dpr four decimals', 'dpr=1.0000', 'dpr'],
  ['dpr below 1', 'dpr=0.5', 'dpr'],
  ['dpr Infinity', 'dpr=Infinity', 'dpr'],
  ['dpr NaN', 'dpr=NaN', 'dpr'],
  ['trailing dot', 'dpr=1.', 'dpr'],
  ['leading dot', 'blur=.5', 'blur'],
  ['blur below 0.3', 'blur=0.2', 'blur'],
  ['blur above 250', 'blur=250.001', 'blur'],
  ['sharpen above 10', 'sharpen=10.5', 'sharpen'],
  ['rotation 45', 'rot=45', 'rot'],
  ['rotation -90', 'rotate=-90', 'rot'],
  ['rotation 360', 'rot=360', 'rot'],
  ['flip x', 'flip=x', 'flip'],
  ['trim zero', 'trim=0', 'trim'],
  ['anim true', 'anim=true', 'anim'],
  ['enlarge 2', 'enlarge=2', 'enlarge'],
  ['crop, negative', 'crop=-1:0:10:10', 'crop'],
  ['crop, zero width', 'crop=0:0:0:10', 'crop'],
  ['crop, zero height', 'crop=0:0:10:0', 'crop'],
  ['crop, three numbers', 'crop=1:2:3', 'crop'],
  ['crop, five numbers', 'crop=1:2:3:4:5', 'crop'],
  ['crop, one number', 'crop=5', 'crop'],
  ['crop, leading zero', 'crop=01:2:3:4', 'crop'],
  ['crop, leading zero last', 'crop=1:2:3:04', 'crop'],
  ['crop, above 65535', 'crop=0:0:65536:1', 'crop'],
  ['crop, huge number', 'crop=0:0:99999999999999999999:1', 'crop'],
  ['crop, fraction', 'crop=1.5:2:3:4', 'crop'],
  ['crop, exponent', 'crop=1e3:2:3:4', 'crop'],
  ['crop, empty part', 'crop=1::3:4', 'crop'],
  ['crop, trailing separator', 'crop=1:2:3:4:', 'crop'],
  ['crop, x separator', 'crop=1x2x3x4', 'crop'],
  ['crop, semicolons', 'crop=1;2;3;4', 'crop'],
  ['crop, mixed separators', 'crop=1:2,3:4', 'crop'],
  ['crop, commas in the path', 'crop=1,2,3,4', 'crop'],
  ['crop, space', 'crop=1: 2:3:4', 'crop'],
  ['crop, fullwidth digits', 'crop=１:2:3:4', 'crop'],
  ['crop, empty', 'crop=', 'crop'],
  ['crop, 100 KB', `crop=${'1:'.repeat(LONG / 2)}1`, 'crop'],
  ['crop, 100 KB number', `crop=0:0:1:${'1'.repeat(LONG)}`, 'crop'],
  ['crop twice', 'crop=0:0:1:1,crop=0:0:2:2', 'crop'],
  ['crop with trim', 'crop=0:0:1:1,trim=5', 'crop'],
  ['trim with crop', 'trim=5,crop=0:0:1:1', 'crop'],
  ['pad above 1000', 'pad=1001', 'pad'],
  ['pad, one side above 1000', 'pad=0:0:1001:0', 'pad'],
  ['pad, negative', 'pad=-1', 'pad'],
  ['pad, two numbers', 'pad=1:2', 'pad'],
  ['pad, three numbers', 'pad=1:2:3', 'pad'],
  ['pad, five numbers', 'pad=1:2:3:4:5', 'pad'],
  ['pad, leading zero', 'pad=05', 'pad'],
  ['pad, leading zero in four', 'pad=1:2:3:04', 'pad'],
  ['pad, huge number', 'padding=99999999999999999999', 'pad'],
  ['pad, fraction', 'pad=1.5', 'pad'],
  ['pad, empty', 'pad=', 'pad'],
  ['pad, lone separator', 'pad=:', 'pad'],
  ['pad, 100 KB', `pad=${'1:'.repeat(LONG / 2)}1`, 'pad'],
  ['pad twice via alias', 'pad=1,padding=2', 'pad'],
  ['pad, commas in the path', 'pad=10,20,30,40', '20'],
  ['watermark name upper-case', 'wm=Logo', 'wm'],
  ['watermark name of 33 characters', `wm=${'a'.repeat(33)}`, 'wm'],
  ['watermark name of 100 KB', `watermark=${'a'.repeat(LONG)}`, 'wm'],
  ['watermark name empty', 'wm=', 'wm'],
  ['watermark name with a dot', 'wm=logo.png', 'wm'],
  ['watermark name with a slash', 'wm=a/b', 'wm'],
  ['watermark name starting with a dash', 'wm=-logo', 'wm'],
  ['watermark name __proto__', 'wm=__proto__', 'wm'],
  ['watermark name with unicode', 'wm=logó', 'wm'],
  ['empty segment', 'w=1,,h=2', null],
  ['leading comma', ',w=1', null],
  ['trailing comma', 'w=1,', null],
  ['lone comma', ',', null],
  ['missing =', 'w', 'w'],
  ['missing = after a valid option', 'w=1,h', 'h'],
];

/** [label, path after /img, query, code, key] for whole URLs. */
const URLS: [string, string, string, ErrorCode, string | null | undefined][] = [
  ['path traversal as id', '../../etc/passwd', '', 'not_found', undefined],
  ['encoded traversal as id', '..%2F..%2Fetc%2Fpasswd', '', 'not_found', undefined],
  ['id too short', 'abc', '', 'not_found', undefined],
  ['id too long', 'a'.repeat(65), '', 'not_found', undefined],
  ['id with a dot', 'abcdefgh.jpg', '', 'not_found', undefined],
  ['id with unicode', 'abcdéfgh', '', 'not_found', undefined],
  ['three segments', `w=1/${ID}/x`, '', 'not_found', undefined],
  ['empty options segment', `/${ID}`.replace('/', '//'), '', 'not_found', undefined],
  ['trailing slash', `${ID}/`, '', 'not_found', undefined],
  ['duplicate in query', ID, 'w=1&w=2', 'invalid_option', 'w'],
  ['path and query share a key', `w=800/${ID}`, 'width=900', 'invalid_option', 'w'],
  ['preset and query share a key', `thumb/${ID}`, 'w=10', 'invalid_option', 'w'],
  ['unknown preset', `nosuch/${ID}`, '', 'invalid_option', 'preset'],
  ['__proto__ as preset', `__proto__/${ID}`, '', 'invalid_option', 'preset'],
  ['toString as preset', `toString/${ID}`, '', 'invalid_option', 'preset'],
  ['preset mixed with options', `thumb,q=50/${ID}`, '', 'invalid_option', 'thumb'],
  ['tracking parameter', ID, 'utm_source=x', 'invalid_option', 'utm_source'],
  ['__proto__ in query', ID, '__proto__=1', 'invalid_option', '__proto__'],
  ['bad number in query', ID, 'w=1e3', 'invalid_option', 'w'],
  ['two signatures', ID, 'sig=a&sig=b', 'invalid_signature', undefined],
  ['source without a path', '@shop', '', 'invalid_request', undefined],
  ['source with an empty segment', '@shop/a//b.jpg', '', 'invalid_request', undefined],
  ['source climbing out of its base', '@shop/a/../../etc/passwd', '', 'invalid_request', undefined],
  ['source with an encoded slash', 'w=1/@shop/..%2F..%2Fetc%2Fpasswd', '', 'invalid_request', undefined],
  ['source with an encoded backslash', '@shop/a%5C..%5Cb', '', 'invalid_request', undefined],
  ['source with a NUL', '@shop/a%00.jpg', '', 'invalid_request', undefined],
  ['source with bad percent-encoding', '@shop/a%zz.jpg', '', 'invalid_request', undefined],
  ['source name in upper case', '@Shop/a.jpg', '', 'invalid_request', undefined],
  ['source name __proto__', '@__proto__/a.jpg', '', 'invalid_request', undefined],
  ['source path of 100 KB', `@shop/${'a'.repeat(LONG)}`, '', 'invalid_request', undefined],
  ['source under three segments of options', 'w=1/h=1/@shop/a.jpg', '', 'not_found', undefined],
  ['source after an empty options segment', '/@shop/a.jpg'.replace('/', '//'), '', 'not_found', undefined],
  ['source with a bad option', 'w=0/@shop/a.jpg', '', 'invalid_option', 'w'],
];

const PRESETS = { thumb: 'w=200,h=200,fit=cover' };

function failure(fn: () => unknown): ImgedgeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ImgedgeError);
    return err as ImgedgeError;
  }
  throw new Error('expected an ImgedgeError, but the input was accepted');
}

describe('hostile option strings', () => {
  it.each(OPTION_STRINGS)('%s', (_label, input, key) => {
    const err = failure(() => parseOptions(input));
    expect(err.code).toBe('invalid_option');
    expect(err.status).toBe(400);
    expect(err.extra.key).toBe(key);
    expect(typeof err.extra.allowed).toBe('string');
    expect(err.message.length).toBeLessThan(400);
  });

  it('are refused in the query form too', () => {
    for (const [, input, key] of OPTION_STRINGS) {
      if (key === null || input.includes(',') || !input.includes('=')) continue;
      const eq = input.indexOf('=');
      const query: [string, string][] = [[input.slice(0, eq), input.slice(eq + 1)]];
      expect(failure(() => parseOptions(query)).extra.key).toBe(key);
    }
  });
});

describe('hostile URLs', () => {
  it.each(URLS)('%s', (_label, path, query, code, key) => {
    for (const presets of [PRESETS, compilePresets(PRESETS)]) {
      const err = failure(() => parseImageRequest(path, new URLSearchParams(query), presets));
      expect(err.code).toBe(code);
      expect(err.extra.key).toBe(key);
    }
  });
});

describe('prototype pollution', () => {
  const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();
  afterAll(() => {
    // Nothing above may have changed Object.prototype.
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_NAMES);
  });

  it('__proto__, constructor and prototype never reach an object', () => {
    for (const name of ['__proto__', 'constructor', 'prototype', 'polluted']) {
      failure(() => parseOptions(`${name}=1`));
      failure(() => parseOptions(new URLSearchParams(`${name}[polluted]=1`)));
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(parseOptions('w=1'))).toBe(Object.prototype);
  });
});

describe('crop and pad in the query form', () => {
  it('take the comma-separated numbers there, into the same canonical form', () => {
    const query = new URLSearchParams('crop=10,20,300,200&pad=1,2,3,4');
    expect(parseOptions(query)).toStrictEqual({ crop: [10, 20, 300, 200], pad: [1, 2, 3, 4] });
    expect(canonicalize(parseOptions(query))).toBe('crop=10:20:300:200,pad=1:2:3:4');
    expect(canonicalize(parseOptions(new URLSearchParams('padding=7,7,7,7')))).toBe('pad=7');
  });

  it.each([
    ['crop=1:2,3:4', 'crop'],
    ['crop=1,2,3', 'crop'],
    ['crop=1,2,3,4,', 'crop'],
    ['pad=1,2', 'pad'],
    ['pad=,', 'pad'],
  ])('refuse %s', (query, key) => {
    const err = failure(() => parseOptions(new URLSearchParams(query)));
    expect(err.code).toBe('invalid_option');
    expect(err.extra.key).toBe(key);
  });

  it('refuse crop with trim when a preset and the query bring one each', () => {
    const err = failure(() => parseImageRequest(ID, new URLSearchParams('crop=0:0:1:1&trim=5'), PRESETS));
    expect(err.extra.key).toBe('crop');
    const merged = failure(() => canonicalize({ crop: [0, 0, 1, 1], trim: 5 }));
    expect(merged.extra.key).toBe('crop');
  });
});
