import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type FormatClass,
  negotiateFormat,
  parseAccept,
  resolveAutoFormat,
  type SourceTraits,
} from '../../../shared/options/index.js';

const CHROME = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';
const SAFARI_16 = 'image/webp,image/avif,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5';
const SAFARI_15 = 'image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5';
const FIREFOX = 'image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5';
const EDGE_LEGACY = 'image/webp,image/apng,image/*,*/*;q=0.8';
const CURL = '*/*';

const OPAQUE: SourceTraits = { hasAlpha: false, animated: false };
const ALPHA: SourceTraits = { hasAlpha: true, animated: false };
const ANIMATED: SourceTraits = { hasAlpha: false, animated: true };
const ANIMATED_ALPHA: SourceTraits = { hasAlpha: true, animated: true };

describe('negotiateFormat: browsers and clients', () => {
  it.each([
    ['Chrome', CHROME, 'avif'],
    ['Safari 16', SAFARI_16, 'avif'],
    ['Safari 15', SAFARI_15, 'webp'],
    ['Firefox', FIREFOX, 'avif'],
    ['legacy Edge', EDGE_LEGACY, 'webp'],
    ['curl */*', CURL, 'jpeg'],
    ['image/* alone', 'image/*', 'jpeg'],
    ['no header', undefined, 'jpeg'],
    ['null header', null, 'jpeg'],
    ['empty header', '', 'jpeg'],
    ['webp refused', 'image/webp;q=0', 'jpeg'],
    ['webp refused, wildcard allowed', 'image/webp;q=0,image/*,*/*', 'jpeg'],
    ['avif refused, webp allowed', 'image/avif;q=0,image/webp,*/*', 'webp'],
    ['webp refused, avif allowed', 'image/avif,image/webp;q=0', 'avif'],
    ['case-insensitive types', 'IMAGE/AVIF', 'avif'],
    ['whitespace everywhere', '  image/webp ; q=0.9 ,\timage/jpeg ;q=0.5 ', 'webp'],
    ['Q in upper case', 'image/webp;Q=0', 'jpeg'],
    ['client prefers webp by weight', 'image/avif;q=0.5,image/webp;q=0.9', 'webp'],
    ['client prefers anything over avif', 'image/avif;q=0.5,*/*', 'jpeg'],
    ['client prefers jpeg', 'image/jpeg,image/webp;q=0.9', 'jpeg'],
    ['equal weight: avif first', 'image/webp;q=0.8,image/avif;q=0.8', 'avif'],
    ['a refusal is never overridden', 'image/avif,image/avif;q=0', 'jpeg'],
    ['invalid weight ignores the range', 'image/avif;q=2', 'jpeg'],
    ['non-numeric weight ignores the range', 'image/avif;q=abc', 'jpeg'],
    ['media range without slash ignored', 'avif,webp', 'jpeg'],
    ['*/avif is no media range', '*/avif', 'jpeg'],
    ['jpeg explicitly refused still falls back to jpeg', 'image/jpeg;q=0,image/png', 'jpeg'],
    ['media-type parameters before q', 'image/webp;charset=x;q=0.5', 'webp'],
  ])('%s → %s', (_label, accept, expected) => {
    expect(negotiateFormat(accept)).toBe(expected);
  });

  it('does not depend on the order of the ranges', () => {
    expect(negotiateFormat('image/avif;q=0,image/avif')).toBe('jpeg');
    expect(negotiateFormat('image/avif;q=0.8,image/webp;q=0.8')).toBe('avif');
  });
});

describe('negotiateFormat: the source', () => {
  it.each<[string, string, SourceTraits, boolean, string]>([
    ['Chrome, opaque photo', CHROME, OPAQUE, true, 'avif'],
    ['Chrome, avif with alpha keeps avif', CHROME, ALPHA, true, 'avif'],
    ['Safari 15, alpha keeps webp', SAFARI_15, ALPHA, true, 'webp'],
    ['curl, alpha → png', CURL, ALPHA, true, 'png'],
    ['curl, opaque → jpeg', CURL, OPAQUE, true, 'jpeg'],
    ['Chrome, animated gif, anim=1 → webp (no animated avif)', CHROME, ANIMATED, true, 'webp'],
    ['Safari 15, animated, anim=1 → webp', SAFARI_15, ANIMATED, true, 'webp'],
    ['curl, animated gif, anim=1 → gif', CURL, ANIMATED, true, 'gif'],
    ['Chrome, animated gif, anim=0 → avif (first frame)', CHROME, ANIMATED, false, 'avif'],
    ['curl, animated gif, anim=0 → jpeg', CURL, ANIMATED, false, 'jpeg'],
    ['curl, animated with alpha, anim=0 → png', CURL, ANIMATED_ALPHA, false, 'png'],
    ['curl, animated with alpha, anim=1 → gif', CURL, ANIMATED_ALPHA, true, 'gif'],
  ])('%s', (_label, accept, source, anim, expected) => {
    expect(negotiateFormat(accept, source, anim)).toBe(expected);
  });

  it('defaults anim to 1', () => {
    expect(negotiateFormat(CURL, ANIMATED)).toBe('gif');
  });

  it.each<[FormatClass, SourceTraits, boolean, string]>([
    ['avif', OPAQUE, true, 'avif'],
    ['webp', OPAQUE, true, 'webp'],
    ['jpeg', OPAQUE, true, 'jpeg'],
    ['avif', ALPHA, true, 'avif'],
    ['webp', ALPHA, true, 'webp'],
    ['jpeg', ALPHA, true, 'png'],
    ['avif', ANIMATED, true, 'webp'],
    ['webp', ANIMATED, true, 'webp'],
    ['jpeg', ANIMATED, true, 'gif'],
    ['avif', ANIMATED, false, 'avif'],
    ['jpeg', ANIMATED, false, 'jpeg'],
    ['jpeg', ANIMATED_ALPHA, false, 'png'],
  ])('resolveAutoFormat(%s, %j, anim=%s) → %s', (target, source, anim, expected) => {
    expect(resolveAutoFormat(target, source, anim)).toBe(expected);
  });
});

describe('parseAccept', () => {
  it('reads ranges, lower-cases types and keeps weights', () => {
    expect(parseAccept(' Image/WebP;q=0.5 , */*, text/html;level=1;q=0 ,bogus, image/avif;q=1.5')).toEqual([
      { type: 'image', subtype: 'webp', q: 0.5 },
      { type: '*', subtype: '*', q: 1 },
      { type: 'text', subtype: 'html', q: 0 },
    ]);
  });
});

/** Accept headers built from a pool of realistic and odd ranges, in random order and case. */
const RANGES = [
  'image/avif',
  'image/webp',
  'image/jpeg',
  'image/png',
  'image/*',
  '*/*',
  'text/html',
  'video/*',
];
const acceptHeader = fc
  .array(
    fc.record({
      range: fc.constantFrom(...RANGES),
      q: fc.option(fc.constantFrom('0', '0.1', '0.5', '0.8', '1', '1.0', '0.999'), { nil: undefined }),
      upper: fc.boolean(),
      spaces: fc.boolean(),
    }),
    { maxLength: 8 },
  )
  .map((parts) =>
    parts.map(({ range, q, upper, spaces }) => {
      const r = upper ? range.toUpperCase() : range;
      const text = q === undefined ? r : `${r}${spaces ? ' ; ' : ';'}q=${q}`;
      return spaces ? ` ${text} ` : text;
    }),
  );
const source = fc.record({ hasAlpha: fc.boolean(), animated: fc.boolean() });

describe('negotiateFormat (properties)', () => {
  it('negotiateFormat(accept, source, anim) === resolveAutoFormat(negotiateFormat(accept), source, anim)', () => {
    fc.assert(
      fc.property(acceptHeader, source, fc.boolean(), (parts, src, anim) => {
        const accept = parts.join(',');
        const target = negotiateFormat(accept);
        expect(['avif', 'webp', 'jpeg']).toContain(target);
        expect(negotiateFormat(accept, src, anim)).toBe(resolveAutoFormat(target as FormatClass, src, anim));
      }),
    );
  });

  it('does not depend on the order of the ranges', () => {
    fc.assert(
      fc.property(
        acceptHeader.chain((parts) =>
          fc.tuple(
            fc.constant(parts),
            fc.shuffledSubarray(parts, { minLength: parts.length, maxLength: parts.length }),
          ),
        ),
        ([parts, shuffled]) => {
          expect(negotiateFormat(shuffled.join(','))).toBe(negotiateFormat(parts.join(',')));
        },
      ),
    );
  });

  it('never picks avif or webp unless the header names it with a weight above 0', () => {
    fc.assert(
      fc.property(acceptHeader, (parts) => {
        const result = negotiateFormat(parts.join(','));
        if (result === 'jpeg') return;
        const named = parts.some((p) => {
          const [range = '', ...params] = p.toLowerCase().split(';');
          const q = params.map((x) => x.trim()).find((x) => x.startsWith('q='));
          return range.trim() === `image/${result}` && (q === undefined || Number(q.slice(2)) > 0);
        });
        expect(named).toBe(true);
      }),
    );
  });
});
