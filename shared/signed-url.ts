/**
 * Signed image URLs, with an optional expiry: what a signature covers, how one is made, and the
 * one check the edge runs (its tests and the origin's POST /api/v1/sign use the same functions).
 *
 * The signature covers the request's signedPath (shared/options/request.ts), followed by
 * `exp=<unix seconds>` as the last query parameter when the URL expires:
 *   /img/w=800/<id>                 → `/img/w=800/<id>?sig=…`
 *   /img/w=800/<id>, exp 1767225600 → `/img/w=800/<id>?exp=1767225600&sig=…`, signed over
 *                                     `/img/w=800/<id>?exp=1767225600`
 *   /img/thumb/<id>?q=60 (preset)   → signed over `/img/thumb/<id>?q=60&exp=1767225600`
 * so `exp` cannot be changed or dropped without breaking the signature. A URL past its `exp` is
 * refused (403 invalid_signature, `reason: "expired"`) even when its variant is cached.
 */
import { ImgedgeError } from './errors.js';
import { EXPIRES_PARAM, type ImageRequest, SIGNATURE_PARAM } from './options/request.js';
import { signPath, verifyPath } from './signature.js';

/** Unix seconds, written without sign, leading zero or fraction (what signExpiring writes). */
const EXPIRES = /^[1-9][0-9]{0,11}$/;

/** The text a signature covers: signedPath, then `exp=` when the URL expires. */
export function signedText(signedPath: string, expires?: number | string): string {
  if (expires === undefined) return signedPath;
  return `${signedPath}${signedPath.includes('?') ? '&' : '?'}${EXPIRES_PARAM}=${expires}`;
}

/**
 * The signed URL path of a parsed request (its signedPath, then `exp` and `sig`): the canonical
 * form of every URL that means the same image under the same signature.
 * @param expires unix seconds after which the edge refuses the URL; undefined: it never expires.
 */
export async function signRequestPath(request: ImageRequest, key: string, expires?: number): Promise<string> {
  if (expires !== undefined && !EXPIRES.test(String(expires))) {
    throw new TypeError(`expires must be unix seconds (a positive integer), got ${expires}`);
  }
  const text = signedText(request.signedPath, expires);
  return `${text}${text.includes('?') ? '&' : '?'}${SIGNATURE_PARAM}=${await signPath(text, key)}`;
}

/**
 * Refuses (403 invalid_signature) a request whose signature is missing, does not match under any
 * of `keys`, or whose `exp` is malformed or not after `nowSeconds`. The refusal names the text to
 * sign (`canonical`), which anyone can work out from the URL: it reveals no key.
 */
export async function verifySignedRequest(
  request: ImageRequest,
  keys: readonly string[],
  nowSeconds: number = Date.now() / 1000,
): Promise<void> {
  const canonical = signedText(request.signedPath, request.expires);
  const extra = { canonical };
  if (request.signature === undefined) {
    throw new ImgedgeError('invalid_signature', `This URL must be signed (?sig=…) over ${canonical}`, {
      extra,
    });
  }
  if (request.expires !== undefined && !EXPIRES.test(request.expires)) {
    throw new ImgedgeError('invalid_signature', `${EXPIRES_PARAM} must be unix seconds`, {
      extra: { ...extra, reason: 'malformed_expiry' },
    });
  }
  if (!(await verifyPath(canonical, request.signature, keys))) {
    throw new ImgedgeError('invalid_signature', `The URL signature does not match ${canonical}`, { extra });
  }
  // Checked after the signature: an `exp` only means something once it is known to be ours.
  if (request.expires !== undefined && Number(request.expires) <= nowSeconds) {
    throw new ImgedgeError(
      'invalid_signature',
      `This signed URL expired at ${request.expires} (unix seconds)`,
      {
        extra: { ...extra, reason: 'expired', expires: Number(request.expires) },
      },
    );
  }
}
