import { describe, expect, it } from 'vitest';
import { isImgedgeError } from '../../shared/errors.js';
import {
  canonicalSourcePath,
  formatSourceRef,
  locateSourceUrl,
  parseSourceRef,
  parseSources,
  sourceCacheTag,
  sourceUrl,
} from '../../shared/sources/index.js';

const sources = parseSources(
  '{"default":"https://www.example.com/","shop":"https://CDN.shop.example:443/images","deep":"https://www.example.com/a/b/"}',
);

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (isImgedgeError(err)) return `${err.status} ${err.code}`;
    return `Error: ${(err as Error).message}`;
  }
  return 'accepted';
}

describe('SOURCES', () => {
  it('normalises bases: host case, default port, trailing slash', () => {
    expect([...sources]).toEqual([
      ['default', 'https://www.example.com/'],
      ['shop', 'https://cdn.shop.example/images/'],
      ['deep', 'https://www.example.com/a/b/'],
    ]);
    expect(parseSources('').size).toBe(0);
  });

  it.each([
    ['not json', '{', /not valid JSON/],
    ['an array', '["https://x/"]', /JSON object/],
    ['a bad name', '{"Bad Name":"https://x/"}', /source name "Bad Name"/],
    ['a non-http base', '{"a":"ftp://x/"}', /source a must be an http\(s\) URL/],
    ['credentials', '{"a":"https://u:p@x/"}', /credentials/],
    ['a query', '{"a":"https://x/?v=1"}', /query or fragment/],
  ])('refuses %s, naming it', (_, json, message) => {
    expect(() => parseSources(json)).toThrow(message);
  });
});

describe('source references', () => {
  it('canonicalises the path: one decoding, one encoding', () => {
    expect(parseSourceRef('@shop/a%2Db/c%20d.jpg')).toEqual({ source: 'shop', path: 'a-b/c%20d.jpg' });
    expect(canonicalSourcePath('/x/a+b,c=1@2:3.jpg')).toBe('x/a+b,c=1@2:3.jpg');
    expect(canonicalSourcePath('caf%C3%A9.png')).toBe('caf%C3%A9.png');
    expect(formatSourceRef(parseSourceRef('@default/a/b.png'))).toBe('@default/a/b.png');
  });

  it.each([
    '@shop',
    '@shop/',
    '@shop/a//b.jpg',
    '@shop/../secret',
    '@shop/a/%2e%2e/b',
    '@shop/a%2Fb',
    '@shop/a%5Cb',
    '@shop/a%00b',
    '@shop/bad%zz',
    '@Shop/a.jpg',
    'shop/a.jpg',
    `@shop/${'a'.repeat(1100)}`,
  ])('refuses %s with a 400', (text) => {
    expect(refusal(() => parseSourceRef(text))).toBe('400 invalid_request');
  });

  it('resolves a reference to the URL to fetch', () => {
    expect(sourceUrl(sources, { source: 'shop', path: 'x/y.jpg' })).toBe(
      'https://cdn.shop.example/images/x/y.jpg',
    );
  });

  it('gives every path its own cache tag, distinct from image tags', () => {
    const a = sourceCacheTag({ source: 'shop', path: 'a.jpg' });
    expect(a).toMatch(/^imgedge-src:shop:[0-9a-f]{16}$/);
    expect(sourceCacheTag({ source: 'shop', path: 'b.jpg' })).not.toBe(a);
    expect(sourceCacheTag({ source: 'default', path: 'a.jpg' })).not.toBe(a);
  });
});

describe('absolute URLs under a base', () => {
  it.each([
    ['https://www.example.com/p/q.jpg', { source: 'default', path: 'p/q.jpg' }],
    ['HTTPS://WWW.EXAMPLE.COM:443/p/q.jpg', { source: 'default', path: 'p/q.jpg' }],
    ['https://www.example.com/a/b/c.jpg', { source: 'deep', path: 'c.jpg' }],
    ['https://cdn.shop.example/images/x/./y.jpg', { source: 'shop', path: 'x/y.jpg' }],
  ])('%s lies under a base', (url, ref) => {
    expect(locateSourceUrl(sources, url)).toEqual(ref);
  });

  it.each([
    'https://cdn.shop.example/imagesX/y.jpg',
    'https://cdn.shop.example/images/../secret.jpg',
    'http://www.example.com/p.jpg',
    'https://www.example.com.evil.test/p.jpg',
    'https://user:pw@www.example.com/p.jpg',
    'https://cdn.shop.example:8443/images/y.jpg',
    'not a url',
  ])('%s lies under none', (url) => {
    expect(locateSourceUrl(sources, url)).toBeUndefined();
  });

  it('refuses a query on a source URL', () => {
    expect(refusal(() => locateSourceUrl(sources, 'https://www.example.com/p.jpg?v=1'))).toBe(
      '400 invalid_request',
    );
  });
});
