/**
 * The public image URL: `/img/<id>`, `/img/<options>/<id>`, `/img/<preset>/<id>`, each with optional
 * query options (`?w=800`) and `?sig=`. Path options (or the preset's options) and query options
 * may be combined only when they share no key. A preset URL and the equivalent explicit URL have
 * the same canonicalPath, the cache key.
 *
 * A signature covers signedPath: the canonicalPath, except for a preset URL, which is signed as
 * written (`/img/<preset>/<id>`, then any extra options as a canonical query), so that a preset's
 * definition can change without re-signing its URLs (as imgproxy does).
 *
 * A path that cannot name an image (malformed id, wrong number of segments) is `not_found`:
 * ids are opaque, and a malformed one names no image, exactly like an unknown one.
 */
import { ImgedgeError } from '../errors.js';
import { canonicalize, normalizeOptions } from './canonical.js';
import { duplicateOption, echo } from './describe.js';
import { parseOptions } from './parse.js';
import { type CompiledPresets, lookupPreset, type Presets, unknownPreset } from './presets.js';
import { specByName } from './spec.js';
import type { ImageOptions } from './types.js';

export const IMAGE_ID = /^[A-Za-z0-9_-]{8,64}$/;
export const SIGNATURE_PARAM = 'sig';

export interface ImageRequest {
  id: string;
  /** Validated options, defaults dropped: equal for every URL with the same canonicalPath. */
  options: ImageOptions;
  /** Canonical option string ('' when every option is the default). */
  canonical: string;
  /** `/img/<canonical>/<id>`, or `/img/<id>` when canonical is ''. The cache key. */
  canonicalPath: string;
  /**
   * The text a signature covers: canonicalPath, or for a preset URL `/img/<preset>/<id>` followed
   * by `?<extra options>` (canonical keys and order, `&`-joined, defaults dropped) when it has any.
   * It is also a URL that requests this image: append `?sig=` (or `&sig=`) to it.
   */
  signedPath: string;
  /** The preset named in the path, if any. */
  preset?: string;
  /** The `sig` query parameter, as given (verify it with verifyPath over signedPath). */
  signature?: string;
  /**
   * True when SIGNED_URLS=presets-free serves this URL without a signature: it names a preset, or
   * no options (all defaults), plus at most a format override `f`. `f` takes one of six values, so
   * it multiplies what an unsigned client can make the origin render by a small constant only.
   */
  presetsFree: boolean;
}

export function canonicalPathOf(id: string, canonical: string): string {
  return canonical === '' ? `/img/${id}` : `/img/${canonical}/${id}`;
}

/**
 * @param pathAfterImg the raw (not percent-decoded) pathname after `/img`, with or without its
 *   leading slash: `abc12345`, `/w=800/abc12345`, `thumb/abc12345`.
 * @param search the request's query; it is not modified.
 */
export function parseImageRequest(
  pathAfterImg: string,
  search: URLSearchParams,
  presets: Presets | CompiledPresets,
): ImageRequest {
  const path = pathAfterImg.startsWith('/') ? pathAfterImg.slice(1) : pathAfterImg;
  const segments = path.split('/', 3);
  const id = segments.at(-1) ?? '';
  if (segments.length > 2 || !IMAGE_ID.test(id)) throw notFound(path);
  const optionSegment = segments.length === 2 ? (segments[0] as string) : undefined;

  const signatures = search.getAll(SIGNATURE_PARAM);
  if (signatures.length > 1) {
    throw new ImgedgeError('invalid_signature', `${SIGNATURE_PARAM} is given more than once`);
  }
  const signature = signatures[0];

  let pathOptions: ImageOptions = {};
  let preset: string | undefined;
  if (optionSegment !== undefined) {
    if (optionSegment === '') throw notFound(path);
    if (optionSegment.includes('=')) {
      pathOptions = parseOptions(optionSegment);
    } else {
      const found = lookupPreset(presets, optionSegment);
      if (found === undefined) throw unknownPreset(optionSegment, presets);
      preset = found.name;
      pathOptions = found.options;
    }
  }

  const queryEntries = [...search].filter(([key]) => key !== SIGNATURE_PARAM);
  const queryOptions = parseOptions(queryEntries);
  for (const [name, text] of queryEntries) {
    const spec = specByName(name);
    if (spec !== undefined && pathOptions[spec.key] !== undefined) {
      throw duplicateOption(
        spec,
        name,
        text,
        preset === undefined ? ' (path and query)' : ` (preset ${preset} and query)`,
      );
    }
  }

  const merged: ImageOptions = { ...pathOptions, ...queryOptions };
  const canonical = canonicalize(merged);
  const canonicalPath = canonicalPathOf(id, canonical);
  const base = preset === undefined ? {} : pathOptions;
  const request: ImageRequest = {
    id,
    options: normalizeOptions(merged),
    canonical,
    canonicalPath,
    signedPath: preset === undefined ? canonicalPath : presetPathOf(preset, id, queryOptions),
    presetsFree: canonicalize({ ...merged, f: undefined }) === canonicalize({ ...base, f: undefined }),
  };
  if (preset !== undefined) request.preset = preset;
  if (signature !== undefined) request.signature = signature;
  return request;
}

/** `/img/<preset>/<id>`, then `?k=v&k=v` for the extra options (canonical keys and order). */
function presetPathOf(preset: string, id: string, extra: ImageOptions): string {
  const query = canonicalize(extra).replaceAll(',', '&');
  return query === '' ? `/img/${preset}/${id}` : `/img/${preset}/${id}?${query}`;
}

function notFound(path: string): ImgedgeError {
  return new ImgedgeError(
    'not_found',
    `no image at /img/${echo(path)}: expected /img/<id> or /img/<options>/<id>`,
    {
      extra: {
        allowed: '/img/<id>, /img/<options>/<id>, /img/<preset>/<id>; id matches [A-Za-z0-9_-]{8,64}',
      },
    },
  );
}
