/**
 * Fetching one remote source image, SSRF-safe:
 * - only http: and https:, never a URL with user:password@;
 * - every URL (the first and each redirect) must lie under the SAME source's base URL, and at most
 *   MAX_REDIRECTS redirects are followed;
 * - a literal IP host (any spelling: WHATWG URL turns 2130706433, 0177.0.0.1 and 0x7f.0.0.1 into
 *   127.0.0.1) is checked against the address policy before anything is sent; a host name is
 *   resolved by us and every address checked when the socket connects (pinned-lookup.ts), so the
 *   connection goes to an address that was checked;
 * - a byte cap (MAX_FILE_SIZE) while streaming, whatever Content-Length says; a connect timeout and
 *   a total timeout over headers and body (a slow drip hits the total);
 * - then the uploads' own checks (sniff, pixel cap, decode: uploads/inspect.ts).
 * Each refusal is an ImgedgeError: source_refused (with `reason`), payload_too_large,
 * unsupported_media_type, image_too_large, invalid_image; failures are source_unreachable,
 * source_error (an unexpected status) and source_timeout.
 */
import { rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { Agent, type Dispatcher, request } from 'undici';
import { ImgedgeError, isImgedgeError, payloadTooLarge } from '../../shared/errors.js';
import { locateSourceUrl, type SourceRef, type Sources, sourceUrl } from '../../shared/sources/index.js';
import { type Received, receiveToFile } from '../uploads/receive.js';
import type { AddressPolicy } from './address-policy.js';
import { pinnedLookup, type Resolver, systemResolver } from './pinned-lookup.js';
import { addressRefused, SourceRefusedError } from './refusal.js';

/** Redirects followed at most; the next one is refused (too_many_redirects). */
export const MAX_REDIRECTS = 3;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Answers that mean "no such image" (briefly cached as a 404). */
const GONE = new Set([404, 410]);

export interface SourceFetcherOptions {
  sources: Sources;
  policy: AddressPolicy;
  /** Name resolution (default: the system's, every address). Tests inject their own. */
  resolve?: Resolver;
  connectTimeoutMs: number;
  /** Headers and body together, redirects included. */
  timeoutMs: number;
  /** The byte cap (MAX_FILE_SIZE). */
  maxBytes: number;
  /** A fresh local path for the body (OriginalStore.tempPath). */
  tempPath: () => string;
  /** The uploads' checks on the complete file (inspectImage); throws to refuse it. */
  inspect: (file: Received) => Promise<unknown>;
  userAgent?: string;
}

/** The validators of a cached copy, for a conditional GET. */
export interface Validators {
  etag?: string | null | undefined;
  lastModified?: string | null | undefined;
}

/** The response headers the cache needs for freshness and validators. */
export interface SourceHeaders {
  cacheControl: string | undefined;
  expires: string | undefined;
  date: string | undefined;
  age: string | undefined;
  etag: string | undefined;
  lastModified: string | undefined;
}

export type FetchResult =
  /** 200: the checked image in a local temp file (the caller commits or removes it). */
  | { status: 'fetched'; file: Received; headers: SourceHeaders; redirects: number }
  /** 304 to our conditional request: the cached copy is still good. */
  | { status: 'not_modified'; headers: SourceHeaders; redirects: number }
  /** 404 or 410. */
  | { status: 'not_found'; upstreamStatus: number; redirects: number };

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sourceHeaders(headers: Headers): SourceHeaders {
  const cacheControl = headers['cache-control'];
  return {
    cacheControl: Array.isArray(cacheControl) ? cacheControl.join(', ') : cacheControl,
    expires: header(headers, 'expires'),
    date: header(headers, 'date'),
    age: header(headers, 'age'),
    etag: header(headers, 'etag'),
    lastModified: header(headers, 'last-modified'),
  };
}

/** Why the total deadline fired (to tell it from other aborts). */
class Deadline extends Error {}

export class SourceFetcher {
  private readonly agent: Agent;
  private readonly userAgent: string;

  constructor(private readonly options: SourceFetcherOptions) {
    this.userAgent = options.userAgent ?? 'imgedge (+remote sources)';
    this.agent = new Agent({
      connect: {
        timeout: options.connectTimeoutMs,
        lookup: pinnedLookup(options.resolve ?? systemResolver, options.policy),
      },
      // The total deadline below is the one that matters; these only must not fire first.
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      maxRedirections: 0,
    });
  }

  /**
   * GET the image behind `ref` (its source must be configured), following redirects under the
   * same base; with `validators`, conditionally. Throws the ImgedgeErrors named above.
   */
  async fetch(ref: SourceRef, validators?: Validators): Promise<FetchResult> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Deadline()), this.options.timeoutMs);
    let result: Awaited<ReturnType<SourceFetcher['follow']>>;
    try {
      result = await this.follow(ref, validators, controller.signal);
    } catch (err) {
      throw this.explain(err, controller.signal);
    } finally {
      clearTimeout(timer);
    }
    if (result.status !== 'received') return result;
    // The bytes are all here: the uploads' checks (bounded by the transform pool, not the deadline).
    try {
      await this.options.inspect(result.file);
    } catch (err) {
      await rm(result.file.path, { force: true });
      throw err;
    }
    return { ...result, status: 'fetched' };
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async follow(ref: SourceRef, validators: Validators | undefined, signal: AbortSignal) {
    const base = new Map([[ref.source, this.options.sources.get(ref.source)!]]);
    let url = new URL(sourceUrl(this.options.sources, ref));
    for (let redirects = 0; ; redirects++) {
      this.check(url, base, ref.source);
      const res = await request(url, {
        dispatcher: this.agent,
        method: 'GET',
        headers: this.requestHeaders(validators),
        signal,
      });
      // Body errors reach us through the reads below; one emitted after we stopped reading (the
      // source hanging up on a body we gave up on) is expected, not a crash.
      res.body.on('error', () => {});
      const status = res.statusCode;
      if (REDIRECTS.has(status)) {
        await res.body.dump();
        const location = header(res.headers, 'location');
        if (!location) throw sourceError(status, `The source answered ${status} without a Location`);
        if (redirects >= MAX_REDIRECTS) {
          throw new SourceRefusedError(
            'too_many_redirects',
            `The source redirected more than ${MAX_REDIRECTS} times`,
            url.href,
          );
        }
        if (!URL.canParse(location, url.href)) {
          throw sourceError(status, `The source answered ${status} with an invalid Location`);
        }
        url = new URL(location, url);
        continue;
      }
      if (status === 304 && validators) {
        await res.body.dump();
        return { status: 'not_modified', headers: sourceHeaders(res.headers), redirects } as const;
      }
      if (GONE.has(status)) {
        await res.body.dump();
        return { status: 'not_found', upstreamStatus: status, redirects } as const;
      }
      if (status !== 200) {
        await res.body.dump();
        throw sourceError(status, `The source answered ${status}`);
      }
      const file = await this.receive(res);
      return { status: 'received', file, headers: sourceHeaders(res.headers), redirects } as const;
    }
  }

  /** Scheme, userinfo, a literal IP's address, then the base: refused before any byte is sent. */
  private check(url: URL, base: Sources, source: string): void {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new SourceRefusedError('scheme', 'Only http and https sources are fetched', url.href);
    }
    if (url.username !== '' || url.password !== '') {
      throw new SourceRefusedError(
        'userinfo',
        'Source URLs with credentials (user@host) are refused',
        url.href,
      );
    }
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    if (isIP(host) !== 0) {
      const reason = this.options.policy.check(host);
      if (reason) throw addressRefused(reason, url.href);
    }
    let located: SourceRef | undefined;
    try {
      located = locateSourceUrl(base, url.href);
    } catch {
      located = undefined; // a path with no canonical form (an encoded / or .., a query): not under the base
    }
    if (located?.source !== source) {
      throw new SourceRefusedError(
        'outside_base',
        `The source URL is not under the base URL of source "${source}"`,
        url.href,
      );
    }
  }

  private requestHeaders(validators: Validators | undefined): Record<string, string> {
    const headers: Record<string, string> = {
      accept: 'image/avif,image/webp,image/*;q=0.8',
      // The bytes as stored: they are sniffed, hashed and decoded as they come.
      'accept-encoding': 'identity',
      'user-agent': this.userAgent,
    };
    if (validators?.etag) headers['if-none-match'] = validators.etag;
    if (validators?.lastModified) headers['if-modified-since'] = validators.lastModified;
    return headers;
  }

  /** The body to a temp file under the byte cap (a declared length over the cap stops at once). */
  private async receive(res: Dispatcher.ResponseData): Promise<Received> {
    const { maxBytes } = this.options;
    const declared = Number(header(res.headers, 'content-length') ?? Number.NaN);
    if (Number.isFinite(declared) && declared > maxBytes) {
      abandon(res.body);
      throw tooLarge(maxBytes);
    }
    try {
      return await receiveToFile(res.body, this.options.tempPath(), maxBytes);
    } catch (err) {
      abandon(res.body);
      if (isImgedgeError(err) && err.code === 'payload_too_large') throw tooLarge(maxBytes);
      if (isImgedgeError(err) && err.code === 'invalid_request') {
        throw new ImgedgeError('invalid_image', 'The source answered an empty body');
      }
      throw err;
    }
  }

  /** Any failure as the ImgedgeError a client gets. */
  private explain(err: unknown, signal: AbortSignal): ImgedgeError {
    if (signal.aborted && signal.reason instanceof Deadline) {
      return new ImgedgeError(
        'source_timeout',
        `The source did not deliver the image within ${this.options.timeoutMs} ms`,
        { cause: err },
      );
    }
    if (isImgedgeError(err)) return err;
    const code = (err as { code?: unknown }).code;
    if (code === 'UND_ERR_CONNECT_TIMEOUT') {
      return new ImgedgeError(
        'source_timeout',
        `The source did not accept a connection within ${this.options.connectTimeoutMs} ms`,
        { cause: err },
      );
    }
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      return new ImgedgeError('source_timeout', 'The source stopped answering', { cause: err });
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NODATA') {
      return new ImgedgeError('source_unreachable', 'The source host name does not resolve', { cause: err });
    }
    return new ImgedgeError(
      'source_unreachable',
      'The source could not be reached or closed the connection',
      {
        cause: err,
      },
    );
  }
}

/** Stop reading a body and close its connection (the abort it raises is swallowed, see follow). */
function abandon(body: Dispatcher.ResponseData['body']): void {
  body.destroy();
}

function sourceError(status: number, detail: string): ImgedgeError {
  return new ImgedgeError('source_error', detail, { extra: { upstream_status: status } });
}

function tooLarge(maxBytes: number): ImgedgeError {
  return payloadTooLarge(maxBytes, `The source image exceeds the limit of ${maxBytes} bytes`);
}
