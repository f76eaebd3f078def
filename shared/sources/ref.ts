/**
 * A remote image's address: a configured source name and a path under its base URL. In public
 * URLs it is written `@<source>/<path>` where an image id would stand (`/img/w=800/@shop/a/b.jpg`);
 * `@` begins no image id, preset name or option, so the three cannot be confused.
 *
 * The path's canonical form is what the cache keys and signatures cover: every segment
 * percent-decoded once and re-encoded one way (unreserved characters, sub-delimiters, `:` and `@`
 * literal, everything else percent-encoded), so `a%2Db.jpg` and `a-b.jpg` are one image. Empty,
 * `.` and `..` segments, a decoded `/` or `\`, and control characters are refused: a path can never
 * climb out of its base.
 */
import { ImgedgeError } from '../errors.js';

export const SOURCE_PREFIX = '@';
/** Source names: lowercase letters, digits, `-` and `_`, at most 32 characters. */
export const SOURCE_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
/** The longest canonical path accepted (characters, after re-encoding). */
export const MAX_SOURCE_PATH = 1024;

export interface SourceRef {
  /** A name in SOURCES. */
  source: string;
  /** Canonical path under the source's base, without a leading slash: `products/shoe.jpg`. */
  path: string;
}

/** Characters that stay literal in a canonical path segment (besides encodeURIComponent's own). */
const LITERAL = /%(21|24|26|27|28|29|2A|2B|2C|3B|3D|3A|40)/g;

function invalid(detail: string, path: string): ImgedgeError {
  return new ImgedgeError('invalid_request', detail, {
    extra: { path: path.length > 64 ? `${path.slice(0, 64)}…` : path },
  });
}

/** One segment, decoded once and re-encoded canonically. */
function canonicalSegment(raw: string, path: string): string {
  if (raw === '') throw invalid('A source path has no empty segments (//)', path);
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw invalid('A source path segment is not valid percent-encoding', path);
  }
  if (decoded === '.' || decoded === '..') throw invalid('A source path has no . or .. segments', path);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[/\\\u0000-\u001f\u007f]/.test(decoded)) {
    throw invalid('A source path segment may not contain /, \\ or control characters', path);
  }
  return encodeURIComponent(decoded).replace(LITERAL, (m) => decodeURIComponent(m));
}

/**
 * The canonical form of a path under a source (raw, as it appears in a URL, with or without a
 * leading slash). Throws invalid_request (400) naming what is wrong.
 */
export function canonicalSourcePath(raw: string): string {
  const trimmed = raw.startsWith('/') ? raw.slice(1) : raw;
  if (trimmed === '') throw invalid('A source path names a file under the source: @<source>/<path>', raw);
  if (trimmed.includes('?') || trimmed.includes('#')) {
    throw invalid('A source path has no query or fragment', raw);
  }
  const path = trimmed
    .split('/')
    .map((s) => canonicalSegment(s, raw))
    .join('/');
  if (path.length > MAX_SOURCE_PATH) {
    throw invalid(`A source path is at most ${MAX_SOURCE_PATH} characters`, raw);
  }
  return path;
}

/** `@shop/products/shoe.jpg` (raw) → { source: 'shop', path: 'products/shoe.jpg' }. */
export function parseSourceRef(text: string): SourceRef {
  if (!text.startsWith(SOURCE_PREFIX)) throw invalid('A source reference begins with @', text);
  const slash = text.indexOf('/');
  const source = slash === -1 ? text.slice(1) : text.slice(1, slash);
  if (!SOURCE_NAME.test(source)) {
    throw invalid('A source name is 1–32 characters of a-z, 0-9, - and _', text);
  }
  return { source, path: canonicalSourcePath(slash === -1 ? '' : text.slice(slash + 1)) };
}

/** The canonical text of a reference, as it stands in canonical paths: `@shop/products/shoe.jpg`. */
export function formatSourceRef(ref: SourceRef): string {
  return `${SOURCE_PREFIX}${ref.source}/${ref.path}`;
}

/** FNV-1a, 64 bits, hex: short and synchronous (workerd has no sync SHA). Collisions only over-purge. */
function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

/**
 * The Cache-Tag the edge stores on every response for this remote image (its variants and its
 * brief 404), and purges on `DELETE /api/v1/sources/<name>/<path>`. Tags of uploaded images are
 * `imgedge-<id>`; these cannot collide with them (ids have no `:`).
 */
export function sourceCacheTag(ref: SourceRef): string {
  return `imgedge-src:${ref.source}:${fnv1a64(ref.path)}`;
}
