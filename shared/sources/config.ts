/**
 * SOURCES: the named places imgedge may fetch remote images from — a JSON object of name → base
 * URL, e.g. `{"default":"https://www.example.com/","shop":"https://cdn.shop.example/images/"}`.
 * Both tiers parse it with parseSources: the edge to check names and to map Cloudflare-style
 * absolute URLs onto a source, the origin to fetch. Never an open proxy: only URLs under a base.
 */

import { parseJsonObject } from '../config/json-object.js';
import { canonicalSourcePath, SOURCE_NAME, type SourceRef } from './ref.js';

/** name → base URL (normalised by URL, ending in `/`). */
export type Sources = ReadonlyMap<string, string>;

/** The source a relative Cloudflare-style path (`/cdn-cgi/image/<options>/<path>`) resolves against. */
export const DEFAULT_SOURCE = 'default';

function base(name: string, value: unknown): string {
  if (typeof value !== 'string' || !URL.canParse(value)) {
    throw new Error(`source ${name} must be an http(s) URL (got ${JSON.stringify(value)})`);
  }
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`source ${name} must be an http(s) URL (got ${JSON.stringify(value)})`);
  }
  if (url.username !== '' || url.password !== '')
    throw new Error(`source ${name} must not carry credentials`);
  if (url.search !== '' || url.hash !== '')
    throw new Error(`source ${name} must not have a query or fragment`);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

/** Parses and validates SOURCES; throws an Error whose message names the bad entry. */
export function parseSources(json: string): Sources {
  if (json.trim() === '') return new Map();
  const record = parseJsonObject(json, 'source name → base URL', '{"default":"https://www.example.com/"}');
  const sources = new Map<string, string>();
  for (const [name, value] of Object.entries(record)) {
    if (!SOURCE_NAME.test(name))
      throw new Error(`source name ${JSON.stringify(name)} must match ${SOURCE_NAME}`);
    sources.set(name, base(name, value));
  }
  return sources;
}

/** The URL to fetch for a reference (its source must exist: check with sources.has first). */
export function sourceUrl(sources: Sources, ref: SourceRef): string {
  const root = sources.get(ref.source);
  if (root === undefined) throw new Error(`unknown source ${ref.source}`);
  return `${root}${ref.path}`;
}

/**
 * The reference for an absolute URL, when (after URL normalisation: case of scheme and host,
 * default port, dot segments) it lies under a configured base; the longest base wins. undefined
 * when it lies under none. Throws invalid_request for a path that has no canonical form.
 */
export function locateSourceUrl(sources: Sources, absolute: string): SourceRef | undefined {
  if (!URL.canParse(absolute)) return undefined;
  const url = new URL(absolute);
  if (url.username !== '' || url.password !== '') return undefined;
  let best: { name: string; root: URL } | undefined;
  for (const [name, href] of sources) {
    const root = new URL(href);
    if (root.origin !== url.origin || !url.pathname.startsWith(root.pathname)) continue;
    if (!best || root.pathname.length > best.root.pathname.length) best = { name, root };
  }
  if (!best) return undefined;
  const rest = url.pathname.slice(best.root.pathname.length);
  const suffix = url.search === '' ? '' : url.search;
  return { source: best.name, path: canonicalSourcePath(rest + suffix) };
}
