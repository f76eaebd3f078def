/// <reference types="vite/client" />
/**
 * Every image URL example in README.md (code blocks and inline code), with a real uploaded image id
 * in place of `<id>` / `$ID`, run through the real worker against the real origin under the
 * default policy (SIGNED_URLS=presets-free): what the README says needs no signature answers 200
 * unsigned; everything else answers 403 naming the canonical text to sign, and 200 once signed.
 * So the document cannot drift from what the edge does.
 */
import { describe, expect, inject, it } from 'vitest';
import readme from '../../README.md?raw';
import { ACCEPT, call, problem, sign } from './helpers.js';

/** `/img/…` in the README, with an optional scheme and host before it. */
const URL_EXAMPLE = /(?:https?:\/\/[a-z0-9.:-]+)?(\/img\/[^\s`"'|)]*)/g;

/** The README's examples, with grammar placeholders (`<options>`, `<preset>`, `…`, a route pattern `*`) left out. */
function readmeExamples(): string[] {
  const found = new Set<string>();
  for (const m of readme.matchAll(URL_EXAMPLE)) {
    const url = (m[1] as string).replace(/[.,:;]+$/, '');
    const rest = url.replaceAll('<id>', '').replaceAll('$ID', '');
    if (/[<>$…*]/.test(rest)) continue;
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
  const segments = path.slice('/img/'.length).split('/');
  const formatOnly = (keys: string[]) => keys.every((k) => k === 'f' || k === 'format');
  const optionKeys =
    segments.length === 2 ? (segments[0] as string).split(',').map((o) => o.split('=')[0]) : [];
  const isPreset = segments.length === 2 && !(segments[0] as string).includes('=');
  const queryKeys = [...new URLSearchParams(query).keys()].filter((k) => k !== 'sig');
  return (isPreset || formatOnly(optionKeys as string[])) && formatOnly(queryKeys);
}

const withSig = (url: string, sig: string) => `${url}${url.includes('?') ? '&' : '?'}sig=${sig}`;

describe('README image URL examples', () => {
  const examples = readmeExamples();

  it('finds the examples (the URL table, the canonical-form and signing examples)', () => {
    expect(examples.length).toBeGreaterThanOrEqual(10);
    expect(examples).toContain('/img/card/<id>?f=avif');
    expect(examples).toContain('/img/w=800,f=webp/$ID');
  });

  it.each(examples)('%s works as the README shows', async (example) => {
    const url = example.replaceAll('<id>', inject('images').photo).replaceAll('$ID', inject('images').photo);
    const headers = { accept: ACCEPT.chrome };
    const res = await call(url, { headers });
    if (needsNoSignature(example)) {
      if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
      expect(res.headers.get('content-type')).toMatch(/^image\//);
      return;
    }
    expect(res.status).toBe(403);
    const { canonical } = await problem(res);
    expect(typeof canonical).toBe('string');
    const sig = await sign(canonical as string);
    for (const signed of [withSig(canonical as string, sig), withSig(url, sig)]) {
      const ok = await call(signed, { headers });
      if (ok.status !== 200) throw new Error(`${signed} answered ${ok.status}: ${await ok.text()}`);
    }
  });
});
