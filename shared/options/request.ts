/**
 * The public image URL: `/img/<id>`, `/img/<options>/<id>`, `/img/<preset>/<id>`, each with optional
 * query options (`?w=800`) and `?sig=`. Path options (or the preset's options) and query options
 * may be combined only when they share no key. A preset URL and the equivalent explicit URL have
 * the same canonicalPath, which is both the cache key and what a signature covers.
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
  /** `/img/<canonical>/<id>`, or `/img/<id>` when canonical is ''. The cache key and signed text. */
  canonicalPath: string;
  /** The preset named in the path, if any. */
  preset?: string;
  /** The `sig` query parameter, as given (verify it with verifyPath over canonicalPath). */
  signature?: string;
  /**
   * True when the options come from a preset alone (no query options). With
   * SIGNED_URLS=presets-free such a URL needs no signature; so may one whose canonical is ''.
   */
  usesOnlyPreset: boolean;
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
  const request: ImageRequest = {
    id,
    options: normalizeOptions(merged),
    canonical,
    canonicalPath: canonicalPathOf(id, canonical),
    usesOnlyPreset: preset !== undefined && queryEntries.length === 0,
  };
  if (preset !== undefined) request.preset = preset;
  if (signature !== undefined) request.signature = signature;
  return request;
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
