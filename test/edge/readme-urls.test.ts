/// <reference types="vite/client" />
/**
 * Every image URL example in README.md (code blocks and inline code), with a real uploaded image id
 * in place of `<id>` / `$ID`, run through the real worker against the real origin under the
 * default policy (SIGNED_URLS=presets-free): what the README says needs no signature answers 200
 * unsigned; everything else answers 403 naming the canonical text to sign, and 200 once signed.
 * So the document cannot drift from what the edge does.
 *
 * Remote-image examples (`@<source>/…`, `/cdn-cgi/image/…`) run with the README's SOURCES at the
 * edge (which resolves absolute URLs such as `https://cdn.shop.example/images/a.png` with them);
 * the test origin's sources of the same names, `default` and `shop`, stand in for those hosts on
 * the stub server (a real JPEG at every path), so they too must answer 200 with an image.
 */
import { describe, expect, inject, it } from 'vitest';
import readme from '../../README.md?raw';
import { ACCEPT, call, makeEnv, problem, sign } from './helpers.js';

/** `/img/…` or `/cdn-cgi/image/…` in the README, with an optional scheme and host before it. */
const URL_EXAMPLE = /(?:https?:\/\/[a-z0-9.:-]+)?(\/(?:img|cdn-cgi\/image)\/[^\s`"'|)]*)/g;

/** The SOURCES of the README's examples. */
const README_SOURCES = '{"default":"https://www.example.com/","shop":"https://cdn.shop.example/images/"}';
const isRemote = (url: string) => url.startsWith('/cdn-cgi/image/') || url.includes('/@');

/** The README's examples, with grammar placeholders (`<options>`, `<preset>`, `…`, a route pattern `*`) left out. */
function readmeExamples(): string[] {
  const found = new Set<string>();
  for (const m of readme.matchAll(URL_EXAMPLE)) {
    const url = (m[1] as string).replace(/[.,:;]+$/, '');
    const rest = url.replaceAll('<id>', '').replaceAll('$ID', '');
    if (/[<>$…*]/.test(rest)) continue;
    // A bare prefix names the route, not an image.
    if (url === '/img/' || url === '/cdn-cgi/image/') continue;
    found.add(url);
  }
  return [...found];
}

/**
 * The README's rule for SIGNED_URLS=presets-free: a preset or no options, plus at most `f`, needs
 * no signature (written out here independently of the code under test).
 */
function needsNoSignature(url: string): boolean {
  const [path = '', query = ''] = url.split('?');
  const formatOnly = (keys: string[]) => keys.every((k) => k === 'f' || k === 'format');
  const keysOf = (segment: string) => segment.split(',').map((o) => o.split('=')[0] as string);
  if (path.startsWith('/cdn-cgi/image/')) {
    return formatOnly(keysOf(path.slice('/cdn-cgi/image/'.length).split('/')[0] as string));
  }
  const segments = path.slice('/img/'.length).split('/');
  // What stands before the image: the segments before `@<source>`, else all but the id.
  const at = segments.findIndex((s) => s.startsWith('@'));
  const head = at === -1 ? segments.slice(0, -1) : segments.slice(0, at);
  const optionKeys = head.length === 1 ? keysOf(head[0] as string) : [];
  const isPreset = head.length === 1 && !(head[0] as string).includes('=');
  const queryKeys = [...new URLSearchParams(query).keys()].filter((k) => k !== 'sig');
  return (isPreset || formatOnly(optionKeys)) && formatOnly(queryKeys);
}

const withSig = (url: string, sig: string) => `${url}${url.includes('?') ? '&' : '?'}sig=${sig}`;

describe('README image URL examples', () => {
  const examples = readmeExamples();

  it('finds the examples (the URL table, the canonical-form and signing examples)', () => {
    expect(examples.length).toBeGreaterThanOrEqual(10);
    expect(examples).toContain('/img/card/<id>?f=avif');
    expect(examples).toContain('/img/w=800,f=webp/$ID');
  });

  it('finds the remote-image examples of both forms', () => {
    expect(examples).toContain('/img/thumb/@shop/products/shoe.jpg');
    expect(examples).toContain('/cdn-cgi/image/width=800,format=auto/uploads/a.jpg');
  });

  it.each(examples)('%s works as the README shows', async (example) => {
    const url = example.replaceAll('<id>', inject('images').photo).replaceAll('$ID', inject('images').photo);
    const headers = { accept: ACCEPT.chrome };
    const remote = isRemote(example);
    const env = remote ? makeEnv({ SOURCES: README_SOURCES }) : undefined;
    const works = async (res: Response, asked: string) => {
      if (res.status !== 200) throw new Error(`${asked} answered ${res.status}: ${await res.text()}`);
      // f=json (format=json) answers the variant's metadata, not its bytes.
      const type = /\bf(?:ormat)?=json\b/.test(asked) ? /^application\/json$/ : /^image\//;
      expect(res.headers.get('content-type')).toMatch(type);
      await res.body?.cancel();
    };
    const res = await call(url, { headers, ...(env ? { env } : {}) });
    if (needsNoSignature(example)) return works(res, url);
    expect(res.status).toBe(403);
    const { canonical } = await problem(res);
    expect(typeof canonical).toBe('string');
    const sig = await sign(canonical as string);
    const signedForms = [withSig(url, sig)];
    if (!url.startsWith('/cdn-cgi/')) signedForms.unshift(withSig(canonical as string, sig));
    for (const signed of signedForms)
      await works(await call(signed, { headers, ...(env ? { env } : {}) }), signed);
  });
});
