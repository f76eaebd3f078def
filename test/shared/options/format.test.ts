/**
 * The requested format (shared/options/format.ts): decided once at the edge, carried once on the
 * wire, read back by the origin, with the same string form as before for cache keys and ETags.
 */
import { describe, expect, it } from 'vitest';
import { ImgedgeError } from '../../../shared/errors.js';
import {
  FORMAT_OPTIONS,
  formatLabel,
  formatQuery,
  isExplicitFormat,
  negotiateFormat,
  parseRequestedFormat,
  requestFormat,
} from '../../../shared/options/index.js';

const ACCEPTS = [undefined, '*/*', 'image/webp,*/*', 'image/avif,image/webp,*/*;q=0.8'];

describe('requested format', () => {
  it('an explicit f is the format; auto or absent is the Accept class', () => {
    expect(requestFormat({ f: 'png' }, 'image/avif')).toEqual({ kind: 'explicit', format: 'png' });
    expect(requestFormat({ f: 'auto' }, 'image/avif')).toEqual({ kind: 'auto', class: 'avif' });
    expect(requestFormat({}, 'image/webp')).toEqual({ kind: 'auto', class: 'webp' });
    expect(requestFormat({}, undefined)).toEqual({ kind: 'auto', class: 'jpeg' });
    expect(FORMAT_OPTIONS.filter(isExplicitFormat)).toEqual(['avif', 'webp', 'jpeg', 'png', 'gif']);
  });

  it('its label is the string the caches and ETags were keyed by: f, or the negotiated class', () => {
    for (const f of [undefined, ...FORMAT_OPTIONS]) {
      for (const accept of ACCEPTS) {
        // f=json describes what f=auto serves: negotiated like it.
        const before = f !== undefined && f !== 'auto' && f !== 'json' ? f : negotiateFormat(accept);
        expect(formatLabel(requestFormat(f === undefined ? {} : { f }, accept))).toBe(before);
      }
    }
  });

  it('travels once: ?format=<class> only for f=auto, and reads back to the same value', () => {
    expect(formatQuery({ kind: 'explicit', format: 'webp' })).toBe('');
    expect(formatQuery({ kind: 'auto', class: 'avif' })).toBe('?format=avif');
    for (const f of [undefined, ...FORMAT_OPTIONS]) {
      for (const accept of ACCEPTS) {
        const options = f === undefined ? {} : { f };
        const requested = requestFormat(options, accept);
        const query = new URLSearchParams(formatQuery(requested)).get('format') ?? undefined;
        expect(parseRequestedFormat(options, query)).toEqual(requested);
      }
    }
  });

  it.each([
    [{ f: 'png' as const }, 'png'], // an explicit f comes alone, even when it agrees
    [{ f: 'png' as const }, 'webp'],
    [{}, undefined], // f=auto needs the class
    [{ f: 'auto' as const }, 'png'], // not a class
    [{}, 'bmp'],
  ])('refuses %o with format=%s as invalid_option', (options, query) => {
    let thrown: unknown;
    try {
      parseRequestedFormat(options, query);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ImgedgeError);
    expect((thrown as ImgedgeError).code).toBe('invalid_option');
  });
});
