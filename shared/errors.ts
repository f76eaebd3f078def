/**
 * The one error type of imgedge. Every rejection, at the edge or the origin, is an ImgedgeError
 * rendered as RFC 9457 problem+json with a stable, machine-readable `code`.
 * No Node-only API: this module runs in workerd too.
 */

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Stable error codes. Clients may switch on these; never rename one. */
export const ErrorCodes = {
  invalid_option: { status: 400, title: 'Invalid image option' },
  invalid_request: { status: 400, title: 'Invalid request' },
  invalid_signature: { status: 403, title: 'Invalid or missing URL signature' },
  invalid_token: { status: 401, title: 'Invalid access token' },
  invalid_client: { status: 401, title: 'Invalid client credentials' },
  unsupported_grant_type: { status: 400, title: 'Unsupported grant type' },
  insufficient_scope: { status: 403, title: 'Insufficient scope' },
  forbidden: { status: 403, title: 'Forbidden' },
  /** A remote source URL (or an address it resolves to, or a redirect) that imgedge never fetches; `reason` says why. */
  source_refused: { status: 403, title: 'Source URL refused' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  image_too_large: { status: 422, title: 'Image dimensions exceed the limit' },
  invalid_image: { status: 422, title: 'The image could not be decoded' },
  limit_exceeded: { status: 422, title: 'The work asked for exceeds a configured limit' },
  /** `wm=` names no watermark of WATERMARKS. */
  unknown_watermark: { status: 400, title: 'Unknown watermark' },
  /** The watermark's image (WATERMARKS `image`) is gone (deleted) or cannot be decoded. */
  watermark_unavailable: { status: 422, title: 'Watermark unavailable' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal_error: { status: 500, title: 'Internal server error' },
  origin_unreachable: { status: 502, title: 'Origin unreachable' },
  /** A remote source could not be reached (DNS, connection refused or reset). */
  source_unreachable: { status: 502, title: 'Source unreachable' },
  /** A remote source answered something other than an image, a 304 or a 404 (a 5xx, say); `upstream_status` holds it. */
  source_error: { status: 502, title: 'Source answered with an error' },
  overloaded: { status: 503, title: 'Service overloaded' },
  unavailable: { status: 503, title: 'Service unavailable' },
  storage_unavailable: { status: 503, title: 'Image storage unavailable' },
  origin_timeout: { status: 504, title: 'Origin timed out' },
  /** A remote source did not connect, or did not deliver the whole image, in time. */
  source_timeout: { status: 504, title: 'Source timed out' },
  transform_timeout: { status: 504, title: 'Image processing timed out' },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

export interface ImgedgeErrorInit {
  /** Overrides the code's default status (rarely needed). */
  status?: number;
  /** Extension members added to the problem document (e.g. `key`, `allowed`). */
  extra?: Record<string, unknown>;
  /** Response headers that belong with this error (Retry-After, WWW-Authenticate…). */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class ImgedgeError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, detail?: string, init: ImgedgeErrorInit = {}) {
    super(detail ?? ErrorCodes[code].title, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ImgedgeError';
    this.code = code;
    this.status = init.status ?? ErrorCodes[code].status;
    this.extra = init.extra ?? {};
    this.headers = init.headers ?? {};
  }

  toProblem(instance?: string): ProblemDetails {
    const problem: ProblemDetails = {
      ...this.extra,
      type: `https://imgedge.dev/problems/${this.code.replaceAll('_', '-')}`,
      title: ErrorCodes[this.code].title,
      status: this.status,
      code: this.code,
      detail: this.message,
    };
    if (instance !== undefined) problem.instance = instance;
    return problem;
  }
}

/** 413 for a body over `limit` bytes, with the limit as the `limit` member. */
export function payloadTooLarge(
  limit: number,
  detail = `The upload exceeds the limit of ${limit} bytes`,
): ImgedgeError {
  return new ImgedgeError('payload_too_large', detail, { extra: { limit } });
}

export function isImgedgeError(err: unknown): err is ImgedgeError {
  return err instanceof ImgedgeError;
}

/** Render any thrown value as a problem+json Response; unknown errors never leak their message. */
export function problemResponse(
  err: unknown,
  instance?: string,
  extraHeaders?: Record<string, string>,
): Response {
  const e = isImgedgeError(err) ? err : new ImgedgeError('internal_error');
  const headers = new Headers(extraHeaders);
  headers.set('content-type', PROBLEM_CONTENT_TYPE);
  headers.set('cache-control', 'no-store');
  for (const [k, v] of Object.entries(e.headers)) headers.set(k, v);
  return new Response(JSON.stringify(e.toProblem(instance)), { status: e.status, headers });
}
