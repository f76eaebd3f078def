/**
 * The public image URL: `/img/<target>`, `/img/<options>/<target>`, `/img/<preset>/<target>`, each
 * with optional query options (`?w=800`) and `?sig=`. The target is an uploaded image's id, or a
 * remote image `@<source>/<path>` (shared/sources/ref.ts): `@` begins no id, option or preset name,
 * so the forms cannot be confused. Path options (or the preset's options) and query options may be
 * combined only when they share no key. A preset URL and the equivalent explicit URL have the same
 * canonicalPath, the cache key.
 *
 * A signature covers signedPath: the canonicalPath, except for a preset URL, which is signed as
 * written (`/img/<preset>/<target>`, then any extra options as a canonical query), so that a
 * preset's definition can change without re-signing its URLs (as imgproxy does).
 *
 * A path that cannot name an image (malformed id, wrong number of segments) is `not_found`:
 * ids are opaque, and a malformed one names no image, exactly like an unknown one. So is a source
 * name that SOURCES does not define (when the caller passes SOURCES). A source path that has no
 * canonical form (`..`, an encoded `/`) is `invalid_request`.
 *
 * The Cloudflare form (`/cdn-cgi/image/…`) is cloudflare-request.ts; both build their request here.
 */
import { ImgedgeError } from '../errors.js';
import type { Sources } from '../sources/config.js';
import { formatSourceRef, parseSourceRef, SOURCE_PREFIX, type SourceRef } from '../sources/ref.js';
import { assertKnownWatermark, type Watermarks } from '../watermarks/config.js';
import { canonicalize, normalizeOptions } from './canonical.js';
import { duplicateOption, echo } from './describe.js';
import { parseOptions } from './parse.js';
import { type CompiledPresets, lookupPreset, type Presets, unknownPreset } from './presets.js';
import { specByName } from './spec.js';
import type { ImageOptions } from './types.js';

export const IMAGE_ID = /^[A-Za-z0-9_-]{8,64}$/;
export const SIGNATURE_PARAM = 'sig';
/** A signed URL's expiry (unix seconds), covered by its signature (shared/signed-url.ts). */
export const EXPIRES_PARAM = 'exp';
/** Query parameters that sign a URL rather than choose options. */
const SIGNING_PARAMS: ReadonlySet<string> = new Set([SIGNATURE_PARAM, EXPIRES_PARAM]);

interface RequestFields {
  /** Validated options, defaults dropped: equal for every URL with the same canonicalPath. */
  options: ImageOptions;
  /** Canonical option string ('' when every option is the default). */
  canonical: string;
  /** `/img/<canonical>/<target>`, or `/img/<target>` when canonical is ''. The cache key. */
  canonicalPath: string;
  /**
   * The text a signature covers: canonicalPath, or for a preset URL `/img/<preset>/<target>`
   * followed by `?<extra options>` (canonical keys and order, `&`-joined, defaults dropped) when it
   * has any. It is also a URL that requests this image: append `?sig=` (or `&sig=`) to it.
   */
  signedPath: string;
  /** The preset named in the path, if any. */
  preset?: string;
  /** The `sig` query parameter, as given (verify it with verifySignedRequest, shared/signed-url.ts). */
  signature?: string;
  /** The `exp` query parameter, as given (unix seconds; the signature covers it). */
  expires?: string;
  /**
   * True when SIGNED_URLS=presets-free serves this URL without a signature: it names a preset, or
   * no options (all defaults), plus at most a format override `f`. `f` takes one of six values, so
   * it multiplies what an unsigned client can make the origin render by a small constant only.
   */
  presetsFree: boolean;
  /** Cloudflare's `onerror=redirect` (cdn-cgi URLs only): a failed transform redirects to the source. */
  onerror?: 'redirect';
}

/** An uploaded image. */
export interface IdImageRequest extends RequestFields {
  id: string;
  source?: undefined;
}

/** A remote image under a configured source. */
export interface SourceImageRequest extends RequestFields {
  source: SourceRef;
  id?: undefined;
}

export type ImageRequest = IdImageRequest | SourceImageRequest;
export type ImageTarget = string | SourceRef;

/** The target as it stands in canonical paths: the id, or `@<source>/<canonical path>`. */
export function targetText(target: ImageTarget): string {
  return typeof target === 'string' ? target : formatSourceRef(target);
}

/** The request's target text (`<id>` or `@<source>/<path>`). */
export function targetOf(request: ImageRequest): string {
  return request.source === undefined ? request.id : formatSourceRef(request.source);
}

export function canonicalPathOf(target: ImageTarget, canonical: string): string {
  const text = targetText(target);
  return canonical === '' ? `/img/${text}` : `/img/${canonical}/${text}`;
}

/**
 * @param pathAfterImg the raw (not percent-decoded) pathname after `/img`, with or without its
 *   leading slash: `abc12345`, `/w=800/abc12345`, `thumb/abc12345`, `w=800/@shop/a/b.jpg`.
 * @param search the request's query; it is not modified.
 * @param sources SOURCES: when given, a source name it does not define is `not_found`.
 * @param watermarks WATERMARKS: when given, a `wm` it does not define is `unknown_watermark`.
 */
export function parseImageRequest(
  pathAfterImg: string,
  search: URLSearchParams,
  presets: Presets | CompiledPresets,
  sources?: Sources,
  watermarks?: Watermarks,
): ImageRequest {
  const path = pathAfterImg.startsWith('/') ? pathAfterImg.slice(1) : pathAfterImg;
  const { optionSegment, target } = splitPath(path);
  if (typeof target !== 'string') assertKnownSource(target, sources);
  const signing = signingOf(search);

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

  const queryEntries = [...search].filter(([key]) => !SIGNING_PARAMS.has(key));
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
  assertKnownWatermark(merged.wm, watermarks);
  const base = preset === undefined ? {} : pathOptions;
  const request = buildRequest(target, merged, signing);
  if (preset !== undefined) {
    request.signedPath = presetPathOf(preset, target, queryOptions);
    request.preset = preset;
    request.presetsFree =
      canonicalize({ ...merged, f: undefined }) === canonicalize({ ...base, f: undefined });
  }
  return request;
}

/**
 * The request for a target and its options, without a preset: canonicalPath signed as is,
 * presets-free when only `f` (or nothing) is given. Both URL forms build theirs here.
 */
export function buildRequest(
  target: ImageTarget,
  options: ImageOptions,
  signing: Signing = {},
): ImageRequest {
  const canonical = canonicalize(options);
  const canonicalPath = canonicalPathOf(target, canonical);
  const fields: RequestFields = {
    options: normalizeOptions(options),
    canonical,
    canonicalPath,
    signedPath: canonicalPath,
    presetsFree: canonicalize({ ...options, f: undefined }) === '',
  };
  if (signing.signature !== undefined) fields.signature = signing.signature;
  if (signing.expires !== undefined) fields.expires = signing.expires;
  return typeof target === 'string' ? { id: target, ...fields } : { source: target, ...fields };
}

/**
 * The request with other options for the same target (client hints resolved, client-hints.ts): a
 * new canonical form and canonicalPath; what was signed (signedPath, signature) and the URL's
 * signing facts stay those of the URL as written.
 */
export function withOptions(request: ImageRequest, options: ImageOptions): ImageRequest {
  const target: ImageTarget = request.source === undefined ? request.id : request.source;
  const rebuilt = buildRequest(target, options);
  return {
    ...request,
    options: rebuilt.options,
    canonical: rebuilt.canonical,
    canonicalPath: rebuilt.canonicalPath,
  } as ImageRequest;
}

/** The `sig` and `exp` of a URL, as given. */
export interface Signing {
  signature?: string | undefined;
  expires?: string | undefined;
}

/** The one `sig` and the one `exp` of a query (a second one is refused: which would count?). */
export function signingOf(search: URLSearchParams): Signing {
  return { signature: onlyOne(search, SIGNATURE_PARAM), expires: onlyOne(search, EXPIRES_PARAM) };
}

/** Whether a query parameter signs the URL (`sig`, `exp`) rather than chooses an option. */
export function isSigningParam(key: string): boolean {
  return SIGNING_PARAMS.has(key);
}

function onlyOne(search: URLSearchParams, name: string): string | undefined {
  const values = search.getAll(name);
  if (values.length > 1) throw new ImgedgeError('invalid_signature', `${name} is given more than once`);
  return values[0];
}

/** A source name SOURCES does not define names no image: 404, as an unknown id. */
export function assertKnownSource(ref: SourceRef, sources: Sources | undefined): void {
  if (sources === undefined || sources.has(ref.source)) return;
  throw new ImgedgeError('not_found', `no source named ${JSON.stringify(ref.source)} is configured`, {
    extra: { source: ref.source },
  });
}

/** `[<options or preset>/]<id>` or `[<options or preset>/]@<source>/<path>`. */
function splitPath(path: string): { optionSegment?: string; target: ImageTarget } {
  if (path.startsWith(SOURCE_PREFIX)) return { target: parseSourceRef(path) };
  const slash = path.indexOf('/');
  if (slash !== -1 && path.startsWith(SOURCE_PREFIX, slash + 1)) {
    return { optionSegment: path.slice(0, slash), target: parseSourceRef(path.slice(slash + 1)) };
  }
  const segments = path.split('/', 3);
  const id = segments.at(-1) ?? '';
  if (segments.length > 2 || !IMAGE_ID.test(id)) throw notFound(path);
  return segments.length === 2 ? { optionSegment: segments[0] as string, target: id } : { target: id };
}

/** `/img/<preset>/<target>`, then `?k=v&k=v` for the extra options (canonical keys and order). */
function presetPathOf(preset: string, target: ImageTarget, extra: ImageOptions): string {
  const query = canonicalize(extra).replaceAll(',', '&');
  const path = `/img/${preset}/${targetText(target)}`;
  return query === '' ? path : `${path}?${query}`;
}

function notFound(path: string): ImgedgeError {
  return new ImgedgeError(
    'not_found',
    `no image at /img/${echo(path)}: expected /img/<id>, /img/<options>/<id> or /img/<options>/@<source>/<path>`,
    {
      extra: {
        allowed:
          '/img/<id>, /img/<options>/<id>, /img/<preset>/<id>, the same with @<source>/<path> for <id>; id matches [A-Za-z0-9_-]{8,64}',
      },
    },
  );
}
