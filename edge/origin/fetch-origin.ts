import { connect } from 'cloudflare:sockets';
import { ImgedgeError } from '../../shared/errors.js';

/**
 * The deadline a 504 names: `connect` (ORIGIN_CONNECT_TIMEOUT_MS), `variant` (an image miss) and
 * `api` (an API call other than an upload), both ORIGIN_TIMEOUT_MS, and `upload`
 * (UPLOAD_TIMEOUT_MS).
 */
export type Deadline = 'connect' | 'variant' | 'api' | 'upload';

/** The variable that sets each deadline, for the 504's message. */
const DEADLINE_VARIABLE: Record<Deadline, string> = {
  connect: 'ORIGIN_CONNECT_TIMEOUT_MS',
  variant: 'ORIGIN_TIMEOUT_MS',
  api: 'ORIGIN_TIMEOUT_MS',
  upload: 'UPLOAD_TIMEOUT_MS',
};

export interface OriginFetchOptions {
  /** Which deadline `timeoutMs` is. */
  deadline: Exclude<Deadline, 'connect'>;
  timeoutMs: number;
  /** Connect deadline; 0 or unset: none (the origin answered a moment ago, or it is turned off). */
  connectTimeoutMs?: number;
  requestId: string;
}

/**
 * One fetch() to one origin, with a deadline on the answer (its headers, then its body) and,
 * optionally, on the connection. A missed deadline is 504 origin_timeout naming it (`deadline` member); a connection
 * failure is 502 origin_unreachable; every origin answer (4xx/5xx too) is returned as is.
 *
 * workerd's fetch() has no connect phase to time, so the connect deadline races a TCP probe
 * (`connect()` of cloudflare:sockets to the origin's host and port, closed as soon as it opens)
 * against it: only a probe that neither opens nor fails within the deadline aborts the fetch. A
 * probe error is ignored, because the fetch reports its own failures and Cloudflare refuses
 * sockets to addresses it proxies (an origin behind Cloudflare gets no connect deadline).
 */
export async function fetchOrigin(
  url: string,
  init: RequestInit,
  options: OriginFetchOptions,
): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('x-request-id', options.requestId);
  const abort = new AbortController();
  let fired: Deadline | undefined;
  const expire = (deadline: Deadline) => {
    fired ??= deadline;
    abort.abort();
  };
  const total = setTimeout(() => expire(options.deadline), options.timeoutMs);
  const probe = options.connectTimeoutMs ? connectProbe(url, options.connectTimeoutMs, expire) : undefined;
  try {
    // On success `total` keeps running: the deadline also bounds reading the body, as before.
    return await fetch(url, { ...init, headers, signal: abort.signal, redirect: 'manual' });
  } catch (err) {
    clearTimeout(total);
    if (fired) {
      const ms = fired === 'connect' ? options.connectTimeoutMs : options.timeoutMs;
      throw new ImgedgeError(
        'origin_timeout',
        fired === 'connect'
          ? `The origin did not accept a connection within ${ms} ms (${DEADLINE_VARIABLE.connect})`
          : `The origin did not answer within ${ms} ms (${DEADLINE_VARIABLE[fired]}, the ${fired} deadline)`,
        { extra: { deadline: fired, timeout_ms: ms } },
      );
    }
    throw new ImgedgeError('origin_unreachable', 'The origin could not be reached', { cause: err });
  } finally {
    probe?.stop();
  }
}

/**
 * Opens a TCP connection to `url`'s host and port and closes it once open; calls `expire('connect')`
 * when it neither opens nor fails within `ms`. `stop()` ends it early.
 */
function connectProbe(url: string, ms: number, expire: (d: 'connect') => void): { stop(): void } {
  const { hostname, port, protocol } = new URL(url);
  const timer = setTimeout(() => expire('connect'), ms);
  let socket: ReturnType<typeof connect> | undefined;
  const stop = () => {
    clearTimeout(timer);
    socket?.close().catch(() => {});
    socket = undefined;
  };
  try {
    socket = connect({
      hostname: hostname.replace(/^\[|\]$/g, ''),
      port: Number(port || (protocol === 'https:' ? 443 : 80)),
    });
    // Opened or refused: the connection phase is over either way; the fetch carries on alone.
    socket.opened.then(stop, stop);
    socket.closed.catch(() => {}); // a refused probe rejects this too: nobody else waits on it
  } catch {
    stop(); // a socket to this address is not allowed here: no connect deadline
  }
  return { stop };
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
  // RFC 7240: tells the API routes the origin answered the preference they sent (patched-image.ts).
  'preference-applied',
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
