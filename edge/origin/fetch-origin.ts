import { ImgedgeError } from '../../shared/errors.js';
import { logRequest } from '../log.js';

export interface OriginFetchOptions {
  timeoutMs: number;
  requestId: string;
}

/**
 * fetch() to the origin with a deadline on the response headers. A deadline miss is 504,
 * a connection failure 502; every origin answer (including 4xx/5xx) is returned as is.
 */
export async function fetchOrigin(
  url: string,
  init: RequestInit,
  options: OriginFetchOptions,
): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('x-request-id', options.requestId);
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    return await fetch(url, { ...init, headers, signal, redirect: 'manual' });
  } catch (err) {
    if (signal.aborted) {
      throw new ImgedgeError('origin_timeout', `The origin did not answer within ${options.timeoutMs} ms`);
    }
    logRequest(options.requestId, 'error', { msg: 'origin unreachable', error: String(err) });
    throw new ImgedgeError('origin_unreachable', 'The origin could not be reached');
  }
}

/** Response headers worth passing from origin to client on a proxied API call. */
export const PASS_HEADERS = [
  'content-type',
  'content-length',
  'location',
  'retry-after',
  'www-authenticate',
  'cache-control',
  'pragma',
  'etag',
  'last-modified',
];

export function passThrough(res: Response, extra: Record<string, string> = {}): Response {
  const headers = new Headers();
  for (const name of PASS_HEADERS) {
    const value = res.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  for (const [k, v] of Object.entries(extra)) headers.set(k, v);
  return new Response(res.body, { status: res.status, headers });
}
