/// <reference types="vite/client" />
/**
 * shared/client/urls.ts against what the edge does with the URLs it writes: for random options
 * (fast-check, every option and spelling of test/shared/options/arbitraries.ts) the helper's path
 * is the canonical path the edge's parseImageRequest computes for any spelling of those options,
 * its signatures verify with the edge's verifyPath over the edge's signed text, srcset candidates
 * are those same URLs, and the README's `<img srcset>` example is what srcset() writes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import readme from '../../README.md?raw';
import { imagePath, imageUrl, nextImageLoader, srcset } from '../../shared/client/urls.js';
import { ImgedgeError } from '../../shared/errors.js';
import { DEFAULT_PRESETS, type ImageOptions, parseImageRequest } from '../../shared/options/index.js';
import { verifyPath } from '../../shared/signature.js';
import {
  imageId,
  imageOptions,
  spelledOptions,
  toOptions,
  toPathForm,
  toQuery,
} from './options/arbitraries.js';

const ID = 'Zk3v0Yq8Tn2mQ1xWc7bR4a';
const KEY = 'client-urls-test-key-0123456789';
const BASE = 'https://img.example.com';

/** What the edge makes of a URL: its parsed request (canonical path, signed text, signature). */
function edgeView(url: string) {
  const u = new URL(url, BASE);
  expect(u.pathname.startsWith('/img/')).toBe(true);
  return parseImageRequest(u.pathname.slice('/img'.length), u.searchParams, DEFAULT_PRESETS);
}

/** The candidates of a srcset: [url, descriptor]. */
function candidates(set: string): [string, string][] {
  return set.split(', ').map((c) => c.split(' ') as [string, string]);
}

describe('imagePath / imageUrl', () => {
  it('is the canonical path the edge computes for any spelling of the same options (path or query form)', () => {
    fc.assert(
      fc.property(imageId, spelledOptions, (id, spelled) => {
        const path = imagePath(id, toOptions(spelled));
        const asQuery = parseImageRequest(`/${id}`, toQuery(spelled), DEFAULT_PRESETS);
        expect(path).toBe(asQuery.canonicalPath);
        if (spelled.length > 0) {
          const asPath = parseImageRequest(
            `/${toPathForm(spelled)}/${id}`,
            new URLSearchParams(),
            DEFAULT_PRESETS,
          );
          expect(path).toBe(asPath.canonicalPath);
        }
        // The helper's own URL is canonical already: the edge changes nothing.
        const again = edgeView(path);
        expect(again.canonicalPath).toBe(path);
        expect(again.signedPath).toBe(path);
      }),
      { numRuns: 500 },
    );
  });

  it('signs the canonical path: the edge verifies the signature over its signed text', async () => {
    await fc.assert(
      fc.asyncProperty(imageId, imageOptions, async (id, options) => {
        const url = await imageUrl(id, options, { base: `${BASE}/`, signingKey: KEY });
        expect(url.startsWith(`${BASE}/img/`)).toBe(true);
        const req = edgeView(url);
        expect(req.signature).toBeDefined();
        expect(await verifyPath(req.signedPath, req.signature!, [KEY])).toBe(true);
        expect(await verifyPath(req.signedPath, req.signature!, ['another-key-0123456789'])).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('unsigned without a key; root-relative without a base; defaults dropped', async () => {
    expect(await imageUrl(ID)).toBe(`/img/${ID}`);
    expect(await imageUrl(ID, { fit: 'inside', f: 'auto', dpr: 1, anim: true })).toBe(`/img/${ID}`);
    expect(await imageUrl(ID, { f: 'webp', w: 800 }, { base: BASE })).toBe(`${BASE}/img/w=800,f=webp/${ID}`);
    expect(imagePath(ID, { bg: 'FFF', anim: false, dpr: 1.5, w: 10 })).toBe(
      `/img/w=10,dpr=1.5,bg=ffffff,anim=0/${ID}`,
    );
  });

  it('refuses what the edge would refuse: a malformed id (TypeError), an option out of range (invalid_option)', async () => {
    for (const bad of ['short', 'has/slash1234', '', 'x'.repeat(65)]) {
      expect(() => imagePath(bad)).toThrow(TypeError);
    }
    const err = (() => {
      try {
        imagePath(ID, { w: 9000 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ImgedgeError);
    expect(err).toMatchObject({ code: 'invalid_option', extra: { key: 'w' } });
    await expect(imageUrl(ID, { q: 0 })).rejects.toMatchObject({ code: 'invalid_option' });
  });
});

describe('srcset', () => {
  it('one canonical URL per width, ascending, duplicates dropped, width descriptors', async () => {
    const set = await srcset(ID, [1200, 400, 800, 400], { f: 'webp' }, { base: BASE });
    expect(set).toBe([400, 800, 1200].map((w) => `${BASE}/img/w=${w},f=webp/${ID} ${w}w`).join(', '));
  });

  it('for random options: every candidate is what imageUrl gives with that w, signed and verified', async () => {
    await fc.assert(
      fc.asyncProperty(
        imageOptions.map(({ dpr: _dpr, h: _h, ...rest }) => rest as ImageOptions),
        fc.uniqueArray(fc.integer({ min: 1, max: 8192 }), { minLength: 1, maxLength: 6 }),
        async (options, widths) => {
          const set = await srcset(ID, widths, options, { base: BASE, signingKey: KEY });
          const list = candidates(set);
          expect(list.map(([, d]) => d)).toEqual([...widths].sort((a, b) => a - b).map((w) => `${w}w`));
          for (const [url, descriptor] of list) {
            const w = Number.parseInt(descriptor, 10);
            expect(url).toBe(await imageUrl(ID, { ...options, w }, { base: BASE, signingKey: KEY }));
            const req = edgeView(url);
            expect(req.options.w).toBe(w);
            expect(await verifyPath(req.signedPath, req.signature!, [KEY])).toBe(true);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('scales h with w, keeping the box (w=600,h=400,fit=cover → 300×200, 900×600)', async () => {
    const set = await srcset(ID, [300, 900], { w: 600, h: 400, fit: 'cover' });
    expect(set).toBe(`/img/w=300,h=200,fit=cover/${ID} 300w, /img/w=900,h=600,fit=cover/${ID} 900w`);
  });

  it('refuses no widths, dpr, h without w, and a width out of range', async () => {
    await expect(srcset(ID, [])).rejects.toThrow(TypeError);
    await expect(srcset(ID, [400], { dpr: 2 })).rejects.toThrow(/dpr/);
    await expect(srcset(ID, [400], { h: 300 })).rejects.toThrow(/give w too/);
    await expect(srcset(ID, [400, 9000])).rejects.toMatchObject({ code: 'invalid_option' });
  });
});

describe('nextImageLoader', () => {
  it('maps {src: id, width, quality} onto w and q over fixed options; unsigned', () => {
    const loader = nextImageLoader({ base: `${BASE}/`, options: { fit: 'cover', h: 300, f: 'avif' } });
    expect(loader({ src: ID, width: 640, quality: 75 })).toBe(
      `${BASE}/img/w=640,h=300,fit=cover,f=avif,q=75/${ID}`,
    );
    expect(loader({ src: ID, width: 1080 })).toBe(`${BASE}/img/w=1080,h=300,fit=cover,f=avif/${ID}`);
    expect(nextImageLoader()({ src: ID, width: 16, quality: undefined })).toBe(`/img/w=16/${ID}`);
    const url = loader({ src: ID, width: 640, quality: 75 });
    expect(edgeView(url).canonicalPath).toBe(new URL(url).pathname);
    expect(() => loader({ src: 'not an id', width: 640 })).toThrow(TypeError);
  });
});

describe('the README example', () => {
  /** The fenced block after `marker` in README.md. */
  function blockAfter(marker: string): string {
    const at = readme.indexOf(marker);
    expect(at, `README.md has no ${marker}`).toBeGreaterThan(-1);
    const match = /```[a-z]*\n([\s\S]*?)```/.exec(readme.slice(at));
    return match![1] as string;
  }

  it('is what srcset() and imageUrl() write for the call the README shows (signatures shown as …)', async () => {
    const settings = { base: BASE, signingKey: KEY };
    const options: ImageOptions = { q: 70 };
    const set = await srcset(ID, [400, 800, 1200, 1600], options, settings);
    const src = await imageUrl(ID, { ...options, w: 800 }, settings);
    const elide = (text: string) => text.replaceAll(ID, '<id>').replace(/\?sig=[A-Za-z0-9_-]{43}/g, '?sig=…');
    const html = [
      '<img',
      `  src="${elide(src)}"`,
      `  srcset="${elide(set).split(', ').join(',\n          ')}"`,
      '  sizes="(min-width: 1024px) 800px, 100vw"',
      '  width="800" height="533" alt="…" loading="lazy">',
      '',
    ].join('\n');
    expect(blockAfter('<!-- srcset example: output -->')).toBe(html);
    // The code above the output is the call made here.
    const code = blockAfter('<!-- srcset example: code -->');
    expect(code).toContain('srcset(id, [400, 800, 1200, 1600], { q: 70 }, settings)');
    expect(code).toContain('imageUrl(id, { q: 70, w: 800 }, settings)');
  });
});
