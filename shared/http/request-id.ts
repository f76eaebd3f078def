/**
 * The request id both tiers log and echo in `X-Request-Id`. An id from upstream (the edge takes
 * Cloudflare's `cf-ray`, the origin the edge's `X-Request-Id`) is kept only if it is short and
 * plain; anything else is replaced by a fresh UUID, so a client cannot inject into log lines.
 */
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** `candidate` when it is a valid request id, else a fresh one. */
export function requestIdFrom(candidate: string | null | undefined): string {
  return candidate && VALID_REQUEST_ID.test(candidate) ? candidate : crypto.randomUUID();
}
