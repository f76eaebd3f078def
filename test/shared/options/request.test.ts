import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImgedgeError } from '../../../shared/errors.js';
import {
  CompiledPresets,
  canonicalize,
  compilePresets,
  InvalidPresetError,
  parseImageRequest,
  parseOptions,
} from '../../../shared/options/index.js';
import { parseSources } from '../../../shared/sources/index.js';
import { parseWatermarks } from '../../../shared/watermarks/index.js';
import { dropDefaults, imageId, spelledOptions, toOptions, toPathForm, toQuery } from './arbitraries.js';

const ID = 'Ab3_-xYz09';
const PRESETS = { thumb: 'w=200,h=200,fit=cover', card: 'width=600,q=80', original: '' };
const none = new URLSearchParams();

describe('parseImageRequest', () => {
  it('reads /img/<id>', () => {
    for (const path of [`/${ID}`, ID]) {
      expect(parseImageRequest(path, none, PRESETS)).toStrictEqual({
        id: ID,
        options: {},
        canonical: '',
        canonicalPath: `/img/${ID}`,
        signedPath: `/img/${ID}`,
        presetsFree: true,
      });
    }
  });

  it('reads /img/<options>/<id> and canonicalizes it', () => {
    const req = parseImageRequest(`/fit=cover,height=600,width=800,f=auto/${ID}`, none, PRESETS);
    expect(req).toStrictEqual({
      id: ID,
      options: { w: 800, h: 600, fit: 'cover' },
      canonical: 'w=800,h=600,fit=cover',
      canonicalPath: `/img/w=800,h=600,fit=cover/${ID}`,
      signedPath: `/img/w=800,h=600,fit=cover/${ID}`,
      presetsFree: false,
    });
  });

  it('reads /img/<id>?w=.. into the same cache entry', () => {
    const req = parseImageRequest(`/${ID}`, new URLSearchParams('width=800&h=600&fit=cover'), PRESETS);
    expect(req.canonicalPath).toBe(`/img/w=800,h=600,fit=cover/${ID}`);
    expect(req.options).toStrictEqual({ w: 800, h: 600, fit: 'cover' });
  });

  it('combines path and query options that share no key', () => {
    const req = parseImageRequest(`/w=800/${ID}`, new URLSearchParams('q=60&f=webp'), PRESETS);
    expect(req.canonical).toBe('w=800,f=webp,q=60');
  });

  it('expands a preset to the same canonicalPath as the explicit URL', () => {
    for (const presets of [PRESETS, compilePresets(PRESETS)]) {
      const req = parseImageRequest(`/thumb/${ID}`, none, presets);
      expect(req).toStrictEqual({
        id: ID,
        options: { w: 200, h: 200, fit: 'cover' },
        canonical: 'w=200,h=200,fit=cover',
        canonicalPath: `/img/w=200,h=200,fit=cover/${ID}`,
        signedPath: `/img/thumb/${ID}`,
        preset: 'thumb',
        presetsFree: true,
      });
      expect(parseImageRequest(`/h=200,w=200,fit=cover/${ID}`, none, presets).canonicalPath).toBe(
        req.canonicalPath,
      );
      expect(
        parseImageRequest(ID, new URLSearchParams('fit=cover&height=200&width=200'), presets).canonicalPath,
      ).toBe(req.canonicalPath);
    }
  });

  it('a preset plus only a format override stays presets-free; any other option does not', () => {
    const req = parseImageRequest(`/card/${ID}`, new URLSearchParams('f=avif'), PRESETS);
    expect(req.canonical).toBe('w=600,f=avif,q=80');
    expect(req.preset).toBe('card');
    expect(req.presetsFree).toBe(true);
    expect(req.signedPath).toBe(`/img/card/${ID}?f=avif`);
    const more = parseImageRequest(`/thumb/${ID}`, new URLSearchParams('format=webp&sharpen=1'), PRESETS);
    expect(more.presetsFree).toBe(false);
    // Signed as written: the preset's name, then the extra options in canonical keys and order.
    expect(more.signedPath).toBe(`/img/thumb/${ID}?f=webp&sharpen=1`);
    expect(parseImageRequest(ID, new URLSearchParams('f=png'), PRESETS).presetsFree).toBe(true);
    expect(parseImageRequest(`/format=webp/${ID}`, none, PRESETS).presetsFree).toBe(true);
    expect(parseImageRequest(`/w=600,q=80/${ID}`, none, PRESETS).presetsFree).toBe(false);
  });

  it('a preset of defaults maps to /img/<id>', () => {
    const req = parseImageRequest(`/original/${ID}`, none, PRESETS);
    expect(req.canonicalPath).toBe(`/img/${ID}`);
    expect(req.signedPath).toBe(`/img/original/${ID}`);
    expect(req.presetsFree).toBe(true);
  });

  it('a path of defaults maps to /img/<id>', () => {
    expect(parseImageRequest(`/fit=inside,anim=1,dpr=1.0/${ID}`, none, PRESETS).canonicalPath).toBe(
      `/img/${ID}`,
    );
  });

  it('reads sig from the query, strips it before option parsing, and leaves the query untouched', () => {
    const search = new URLSearchParams('w=10&sig=abc_-');
    const req = parseImageRequest(ID, search, PRESETS);
    expect(req.signature).toBe('abc_-');
    expect(req.canonicalPath).toBe(`/img/w=10/${ID}`);
    expect(search.toString()).toBe('w=10&sig=abc_-');
    const presetOnly = parseImageRequest(`thumb/${ID}`, new URLSearchParams('sig=x'), PRESETS);
    expect(presetOnly.presetsFree).toBe(true);
    expect(presetOnly.signature).toBe('x');
  });

  it('names an unknown preset and lists the configured ones', () => {
    try {
      parseImageRequest(`/thumbnail/${ID}`, none, PRESETS);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ImgedgeError);
      const e = err as ImgedgeError;
      expect(e.code).toBe('invalid_option');
      expect(e.message).toContain('unknown preset "thumbnail"');
      expect(e.message).toContain('thumb, card, original');
      expect(e.extra).toEqual({ key: 'preset', value: 'thumbnail', allowed: 'thumb|card|original' });
    }
  });

  it('treats a malformed id as not_found (404)', () => {
    try {
      parseImageRequest('/short', none, PRESETS);
      expect.unreachable();
    } catch (err) {
      expect((err as ImgedgeError).code).toBe('not_found');
      expect((err as ImgedgeError).status).toBe(404);
    }
  });

  it('fails loudly (not as a 400) on a misconfigured preset met at request time', () => {
    expect(() => parseImageRequest(`/bad/${ID}`, none, { bad: 'w=0' })).toThrow(InvalidPresetError);
  });
});

describe('parseImageRequest: a remote image @<source>/<path> where the id stands', () => {
  const SOURCES = parseSources('{"shop":"https://cdn.shop.example/images/"}');

  it('reads /img/@<source>/<path>, with options, a preset, the query and sig', () => {
    expect(parseImageRequest('/@shop/products/shoe.jpg', none, PRESETS, SOURCES)).toStrictEqual({
      source: { source: 'shop', path: 'products/shoe.jpg' },
      options: {},
      canonical: '',
      canonicalPath: '/img/@shop/products/shoe.jpg',
      signedPath: '/img/@shop/products/shoe.jpg',
      presetsFree: true,
    });
    const opts = parseImageRequest(
      '/height=60,w=120/@shop/a%2Db%20c.jpg',
      new URLSearchParams('sig=x'),
      PRESETS,
    );
    expect(opts).toStrictEqual({
      source: { source: 'shop', path: 'a-b%20c.jpg' },
      options: { w: 120, h: 60 },
      canonical: 'w=120,h=60',
      canonicalPath: '/img/w=120,h=60/@shop/a-b%20c.jpg',
      signedPath: '/img/w=120,h=60/@shop/a-b%20c.jpg',
      signature: 'x',
      presetsFree: false,
    });
    const preset = parseImageRequest('thumb/@shop/p.jpg', new URLSearchParams('f=webp'), PRESETS, SOURCES);
    expect(preset).toMatchObject({
      canonicalPath: '/img/w=200,h=200,fit=cover,f=webp/@shop/p.jpg',
      signedPath: '/img/thumb/@shop/p.jpg?f=webp',
      preset: 'thumb',
      presetsFree: true,
    });
    expect(parseImageRequest('@shop/p.jpg', new URLSearchParams('w=5'), PRESETS).canonicalPath).toBe(
      '/img/w=5/@shop/p.jpg',
    );
  });

  it('an unknown source is not_found when SOURCES is given; a bad path is invalid_request', () => {
    const unknown = (() => {
      try {
        parseImageRequest('/w=1/@other/p.jpg', none, PRESETS, SOURCES);
      } catch (err) {
        return err as ImgedgeError;
      }
    })();
    expect([unknown?.code, unknown?.status]).toEqual(['not_found', 404]);
    // Without SOURCES (npm run sign, say) the name is not checked.
    expect(parseImageRequest('/w=1/@other/p.jpg', none, PRESETS).source).toEqual({
      source: 'other',
      path: 'p.jpg',
    });
    for (const path of ['@shop', '@shop/', '@shop/a/../b', '@shop/a%2Fb', 'w=1/@shop/.', '@SHOP/a']) {
      expect(() => parseImageRequest(path, none, PRESETS, SOURCES), path).toThrow(
        expect.objectContaining({ code: 'invalid_request' }),
      );
    }
  });
});

describe('parseImageRequest: wm=', () => {
  const watermarks = parseWatermarks(
    '{"logo":{"image":"abcdefgh12"},"proof":{"image":"abcdefgh13","repeat":true}}',
  );
  const presets = { marked: 'w=200,wm=logo' };

  it('puts wm last in the canonical path, from the path, the query or a preset', () => {
    for (const [path, query] of [
      [`wm=logo,w=200/${ID}`, ''],
      [ID, 'watermark=logo&width=200'],
      [`w=200/${ID}`, 'wm=logo'],
      [`marked/${ID}`, ''],
    ] as const) {
      const request = parseImageRequest(path, new URLSearchParams(query), presets, undefined, watermarks);
      expect(request.canonicalPath, `${path}?${query}`).toBe(`/img/w=200,wm=logo/${ID}`);
    }
    // A preset's watermark is part of its definition; a preset URL stays presets-free.
    expect(parseImageRequest(`marked/${ID}`, none, presets, undefined, watermarks).presetsFree).toBe(true);
    // Any other wm is an option like another: it needs a signature under presets-free.
    expect(parseImageRequest(`wm=logo/${ID}`, none, presets, undefined, watermarks).presetsFree).toBe(false);
  });

  it('refuses a name WATERMARKS does not define (when given), listing the defined ones', () => {
    const err = (() => {
      try {
        parseImageRequest(`wm=nosuch/${ID}`, none, presets, undefined, watermarks);
      } catch (e) {
        return e as ImgedgeError;
      }
      throw new Error('accepted');
    })();
    expect(err).toBeInstanceOf(ImgedgeError);
    expect(err.code).toBe('unknown_watermark');
    expect(err.status).toBe(400);
    expect(err.extra).toEqual({ key: 'wm', value: 'nosuch', allowed: 'logo|proof' });
    // Without WATERMARKS the grammar alone decides (the origin checks the name).
    expect(parseImageRequest(`wm=nosuch/${ID}`, none, presets).canonical).toBe('wm=nosuch');
  });
});

describe('compilePresets', () => {
  it('compiles valid presets', () => {
    const compiled = compilePresets(PRESETS);
    expect(compiled).toBeInstanceOf(CompiledPresets);
    expect(compiled.names).toEqual(['thumb', 'card', 'original']);
    expect(compiled.get('card')?.canonical).toBe('w=600,q=80');
    expect(compiled.get('toString')).toBeUndefined();
  });

  it.each([
    [
      { thumb: 'w=abc' },
      'invalid image preset "thumb": w must be an integer from 1 to 8192 or auto, got "abc"',
    ],
    [{ thumb: 'w=1,w=2' }, 'invalid image preset "thumb": w is given more than once'],
    [{ thumb: 'zoom=1' }, 'invalid image preset "thumb": unknown option "zoom"'],
    [{ thumb: 'crop=1' }, 'invalid image preset "thumb": crop must be 4 integers x:y:w:h'],
    [{ Thumb: 'w=1' }, 'invalid image preset "Thumb": a preset name must match'],
    [{ 'a=b': 'w=1' }, 'invalid image preset "a=b"'],
    [{ 'a,b': 'w=1' }, 'invalid image preset "a,b"'],
    [{ '': 'w=1' }, 'invalid image preset ""'],
    [{ ok: 'w=1', broken: 'fit=squash' }, 'invalid image preset "broken": fit must be one of'],
    [{ thumb: 42 as unknown as string }, 'invalid image preset "thumb": its value must be an option string'],
  ])('throws a clear error for %j', (record, message) => {
    try {
      compilePresets(record);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidPresetError);
      expect(err).not.toBeInstanceOf(ImgedgeError);
      expect((err as Error).message).toContain(message);
    }
  });
});

const sourceRef = fc
  .tuple(
    fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,31}$/),
    fc.array(fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/), { minLength: 1, maxLength: 4 }),
  )
  .filter(([, segments]) => segments.every((s) => s !== '.' && s !== '..'))
  .map(([source, segments]) => `@${source}/${segments.join('/')}`);

describe('canonicalPath (properties)', () => {
  it('is equal across path, query and preset forms for a source image too', () => {
    fc.assert(
      fc.property(spelledOptions, sourceRef, (list, target) => {
        const canonical = canonicalize(toOptions(list));
        const expected = canonical === '' ? `/img/${target}` : `/img/${canonical}/${target}`;
        const pathForm = toPathForm(list);
        const forms = [
          parseImageRequest(pathForm === '' ? target : `/${pathForm}/${target}`, none, {}),
          parseImageRequest(`/${target}`, toQuery(list), {}),
          parseImageRequest(`/p/${target}`, none, compilePresets({ p: pathForm })),
        ];
        for (const req of forms) {
          expect(req.canonicalPath).toBe(expected);
          expect(req.options).toStrictEqual(dropDefaults(toOptions(list)));
          expect(req.id).toBeUndefined();
          expect(`@${req.source?.source}/${req.source?.path}`).toBe(target);
        }
        expect(parseImageRequest(expected.slice('/img'.length), none, {}).canonicalPath).toBe(expected);
      }),
    );
  });

  it('is equal across path, query, split path+query, alias and preset forms', () => {
    fc.assert(
      fc.property(spelledOptions, imageId, fc.nat(), (list, id, cut) => {
        const expectedCanonical = canonicalize(toOptions(list));
        const expected = expectedCanonical === '' ? `/img/${id}` : `/img/${expectedCanonical}/${id}`;
        const pathForm = toPathForm(list);
        const at = list.length === 0 ? 0 : cut % (list.length + 1);
        const forms = [
          parseImageRequest(pathForm === '' ? id : `/${pathForm}/${id}`, none, {}),
          parseImageRequest(`/${id}`, toQuery(list), {}),
          parseImageRequest(
            at === 0 ? id : `/${toPathForm(list.slice(0, at))}/${id}`,
            toQuery(list.slice(at)),
            {},
          ),
          parseImageRequest(`/p/${id}`, none, { p: pathForm }),
          parseImageRequest(`/p/${id}`, none, compilePresets({ p: pathForm })),
          parseImageRequest(`/p/${id}`, new URLSearchParams('sig=x'), compilePresets({ p: pathForm })),
        ];
        for (const req of forms) {
          expect(req.canonicalPath).toBe(expected);
          expect(req.options).toStrictEqual(dropDefaults(toOptions(list)));
          expect(req.id).toBe(id);
        }
        // The canonical path is itself a fixed point.
        const again = parseImageRequest(expected.slice('/img'.length), none, {});
        expect(again.canonicalPath).toBe(expected);
        expect(parseOptions(again.canonical)).toStrictEqual(again.options);
      }),
    );
  });
});
