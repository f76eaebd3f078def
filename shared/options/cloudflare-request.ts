/**
 * The Cloudflare URL form: `/cdn-cgi/image/<options>/<source image>`, with the options in
 * Cloudflare's dialect (cloudflare.ts). The source image is
 * - a path (`uploads/a.jpg`, with or without a leading `/`): under the source named `default`;
 * - an absolute `http(s)://` URL: accepted only when it lies under a configured source's base
 *   (after URL normalisation; locateSourceUrl), and read as that source's path.
 * Either way it becomes a SourceRef, and the request is exactly the imgedge form's
 * `/img/<canonical>/@<source>/<path>`: the same canonicalPath (one cache entry for both forms), the
 * same signed text, the same presets-free rule. The query may carry only `sig` and `exp`: a source URL's own
 * query is not supported (source paths have none).
 */
import { ImgedgeError } from '../errors.js';
import { DEFAULT_SOURCE, locateSourceUrl, type Sources } from '../sources/config.js';
import { canonicalSourcePath, type SourceRef } from '../sources/ref.js';
import { parseCloudflareOptions } from './cloudflare.js';
import { echo } from './describe.js';
import { buildRequest, type ImageRequest, isSigningParam, SIGNATURE_PARAM, signingOf } from './request.js';

/** Where Cloudflare-style URLs begin. */
export const CLOUDFLARE_PREFIX = '/cdn-cgi/image/';

/** `http://` or `https://` (one slash too: proxies and some clients merge `//`). */
const ABSOLUTE = /^(https?):\/\/?/i;

/**
 * @param pathAfterPrefix the raw (not percent-decoded) pathname after `/cdn-cgi/image/`:
 *   `width=800,format=auto/uploads/a.jpg`, `w=80/https://www.example.com/a.jpg`.
 * @param search the request's query (only `sig` and `exp`).
 * @param sources SOURCES.
 */
export function parseCloudflareRequest(
  pathAfterPrefix: string,
  search: URLSearchParams,
  sources: Sources,
): ImageRequest {
  const slash = pathAfterPrefix.indexOf('/');
  const sourceText = slash === -1 ? '' : pathAfterPrefix.slice(slash + 1);
  if (slash === -1 || sourceText === '') {
    throw new ImgedgeError(
      'not_found',
      `no image at ${CLOUDFLARE_PREFIX}${echo(pathAfterPrefix)}: expected ${CLOUDFLARE_PREFIX}<options>/<path or URL>`,
      {
        extra: {
          allowed: `${CLOUDFLARE_PREFIX}<options>/<path>, ${CLOUDFLARE_PREFIX}<options>/<http(s) URL>`,
        },
      },
    );
  }
  const { options, onerror } = parseCloudflareOptions(pathAfterPrefix.slice(0, slash));
  for (const key of search.keys()) {
    if (isSigningParam(key)) continue;
    throw new ImgedgeError(
      'invalid_request',
      `${CLOUDFLARE_PREFIX} URLs take no query but ${SIGNATURE_PARAM} and exp (got ${JSON.stringify(echo(key))}): a source image's query string is not supported`,
      { extra: { key: echo(key) } },
    );
  }
  const request = buildRequest(resolveSource(sourceText, sources), options, signingOf(search));
  if (onerror !== undefined) request.onerror = onerror;
  return request;
}

/** A path under `default`, or an absolute URL under any configured base. */
function resolveSource(text: string, sources: Sources): SourceRef {
  const absolute = ABSOLUTE.exec(text);
  if (absolute) {
    const url = `${(absolute[1] as string).toLowerCase()}://${text.slice(absolute[0].length)}`;
    const ref = locateSourceUrl(sources, url);
    if (ref === undefined) {
      throw new ImgedgeError(
        'not_found',
        `${echo(url)} lies under no configured source: imgedge fetches only from the bases in SOURCES`,
        { extra: { url: echo(url) } },
      );
    }
    return ref;
  }
  const ref = { source: DEFAULT_SOURCE, path: canonicalSourcePath(text) };
  if (!sources.has(DEFAULT_SOURCE)) {
    throw new ImgedgeError(
      'not_found',
      `a relative source path resolves against the source named ${DEFAULT_SOURCE}, which SOURCES does not define`,
      { extra: { source: DEFAULT_SOURCE } },
    );
  }
  return ref;
}
