/**
 * The origins of ORIGIN_URL, each behind its own circuit breaker (README, "Several origins,
 * circuit breakers"). One pool per validated config, i.e. per isolate: breaker state is not shared
 * between isolates or locations.
 *
 * A request goes to the next origin, round-robin, whose circuit admits it. A GET or HEAD is tried
 * once more, on another origin, after a connection failure (or missed connect deadline) or a
 * 502/503 answer; never a third time, and nothing else is ever retried (an upload's body is a
 * stream that is gone once sent). When no circuit admits the request: 503 `unavailable` with
 * Retry-After (the shortest remaining cool-down), at once.
 */
import { ImgedgeError, PROBLEM_CONTENT_TYPE } from '../../shared/errors.js';
import type { EdgeConfig } from '../config.js';
import { type LogLevel, logRequest } from '../log.js';
import { CircuitBreaker, type CircuitState, type Outcome, type Permit } from './breaker.js';
import { type Deadline, fetchOrigin } from './fetch-origin.js';

export interface OriginRequest {
  /** Path and query on the origin, e.g. `/internal/v1/variants/w=800/<id>?format=webp`. */
  path: string;
  init: RequestInit;
  /** The deadline of this kind of request (ORIGIN_TIMEOUT_MS, or UPLOAD_TIMEOUT_MS). */
  deadline: Exclude<Deadline, 'connect'>;
  requestId: string;
  /** True when a failure was the client's doing (its upload went over the cap): not counted. */
  clientFault?: () => boolean;
}

export interface PoolOrigin {
  /** `origin-1`, `origin-2`… in ORIGIN_URL's order: what /health shows (never the URL). */
  name: string;
  url: string;
  breaker: CircuitBreaker;
  /** When this origin last answered (any status), for skipping the connect probe. */
  lastAnswerAt: number;
}

/**
 * After an answer this recent the next attempt skips the connect probe: the origin is reachable
 * and fetch() likely reuses a pooled connection. An origin that stops answering is probed again
 * a second later.
 */
export const CONNECT_PROBE_SKIP_MS = 1_000;

/** What one attempt came to, for the breaker and for the retry rule. */
interface Verdict {
  outcome: Outcome;
  retryable: boolean;
  response?: Response;
  error?: ImgedgeError;
}

const TRANSITION_LEVEL: Record<CircuitState, LogLevel> = {
  open: 'error',
  'half-open': 'warn',
  closed: 'info',
};

export class OriginPool {
  readonly origins: PoolOrigin[];
  private next = 0;

  constructor(
    private readonly config: EdgeConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.origins = config.origins.map((url, i) => {
      const name = `origin-${i + 1}`;
      const breaker = new CircuitBreaker(config.breaker, {
        now,
        // Logged with the id of the request whose outcome (or admission, for half-open) made it.
        onTransition: (t) =>
          logRequest(t.requestId, TRANSITION_LEVEL[t.to], {
            msg: `origin circuit ${t.to}`,
            origin: name,
            url,
            from: t.from,
            reason: t.reason,
          }),
      });
      return { name, url, breaker, lastAnswerAt: Number.NEGATIVE_INFINITY };
    });
  }

  /** The origin's answer (any status), or throws 502/504 (last attempt's failure) or 503. */
  async fetch(req: OriginRequest): Promise<Response> {
    const first = this.select(req);
    if (!first) throw this.unavailable();
    let verdict = await this.attempt(first.origin, first.permit, req);
    if (verdict.retryable && isIdempotent(req.init)) {
      const second = this.select(req, first.origin);
      if (second) {
        logRequest(req.requestId, 'warn', {
          msg: 'retrying on another origin',
          from: first.origin.name,
          to: second.origin.name,
        });
        await verdict.response?.body?.cancel();
        verdict = await this.attempt(second.origin, second.permit, req);
      }
    }
    if (verdict.error) throw verdict.error;
    return verdict.response!;
  }

  /** The next origin, round-robin, whose circuit admits this request (never `exclude`). */
  private select(
    req: OriginRequest,
    exclude?: PoolOrigin,
  ): { origin: PoolOrigin; permit: Permit } | undefined {
    const n = this.origins.length;
    // A half-open probe holds its origin's slot at most this long (longer: it was lost).
    const lease = this.timeoutFor(req) + this.config.deadlines.connectMs + 1_000;
    for (let i = 0; i < n; i++) {
      const index = (this.next + i) % n;
      const origin = this.origins[index]!;
      if (origin === exclude) continue;
      const permit = origin.breaker.tryAcquire(req.requestId, lease);
      if (permit) {
        this.next = (index + 1) % n;
        return { origin, permit };
      }
    }
    return undefined;
  }

  private async attempt(origin: PoolOrigin, permit: Permit, req: OriginRequest): Promise<Verdict> {
    const recent = this.now() - origin.lastAnswerAt < CONNECT_PROBE_SKIP_MS;
    let verdict: Verdict = { outcome: 'neutral', retryable: false };
    try {
      try {
        const res = await fetchOrigin(`${origin.url}${req.path}`, req.init, {
          deadline: req.deadline,
          timeoutMs: this.timeoutFor(req),
          connectTimeoutMs: recent ? 0 : this.config.deadlines.connectMs,
          requestId: req.requestId,
        });
        origin.lastAnswerAt = this.now();
        verdict = await judgeAnswer(res);
      } catch (err) {
        if (!(err instanceof ImgedgeError)) throw err;
        verdict = judgeFailure(err);
      }
      if (req.clientFault?.()) verdict = { ...verdict, outcome: 'neutral', retryable: false };
      if (verdict.outcome === 'failure') {
        const error = verdict.error;
        logRequest(req.requestId, 'warn', {
          msg: 'origin attempt failed',
          origin: origin.name,
          url: origin.url,
          ...(error
            ? { code: error.code, deadline: error.extra.deadline, error: describe(error.cause) }
            : { status: verdict.response?.status }),
        });
      }
      return verdict;
    } finally {
      // Recorded whatever happened, so a probe never keeps its slot (an unexpected error: neutral).
      origin.breaker.record(permit, verdict.outcome);
    }
  }

  private timeoutFor(req: OriginRequest): number {
    return req.deadline === 'upload' ? this.config.deadlines.uploadMs : this.config.deadlines.originMs;
  }

  /** 503 when no circuit admits a request; Retry-After: until the first probe may go. */
  private unavailable(): ImgedgeError {
    const wait = Math.min(...this.origins.map((o) => o.breaker.snapshot().retryAfterMs));
    const seconds = Math.max(1, Math.ceil(wait / 1000));
    const which = this.origins.length === 1 ? "The origin's circuit is" : "Every origin's circuit is";
    return new ImgedgeError('unavailable', `${which} open after repeated failures; retry in ${seconds} s`, {
      headers: { 'retry-after': String(seconds) },
      extra: { circuit: 'open' },
    });
  }
}

function isIdempotent(init: RequestInit): boolean {
  const method = (init.method ?? 'GET').toUpperCase();
  return method === 'GET' || method === 'HEAD';
}

/**
 * An answer: 502, 504 and 503 count against the origin (a gateway in front of it, or a backing
 * service down), except the origin's own answers about this one request: `overloaded` (its
 * transform queue is full: backpressure, retried elsewhere, not a sick origin) and
 * `transform_timeout` (one slow image). Everything else, 4xx included, is a success.
 */
async function judgeAnswer(res: Response): Promise<Verdict> {
  if (res.status === 502) return { outcome: 'failure', retryable: true, response: res };
  if (res.status !== 503 && res.status !== 504)
    return { outcome: 'success', retryable: false, response: res };
  let response = res;
  let code: unknown;
  if ((res.headers.get('content-type') ?? '').startsWith(PROBLEM_CONTENT_TYPE)) {
    let body = '';
    try {
      body = await res.text();
      code = (JSON.parse(body) as { code?: unknown }).code;
    } catch {
      // Cut off or not a problem document after all: a failure like any other 503/504.
    }
    const headers = new Headers(res.headers);
    headers.delete('content-length'); // the new body has its own
    response = new Response(body, { status: res.status, statusText: res.statusText, headers });
  }
  if (res.status === 503)
    return { outcome: code === 'overloaded' ? 'success' : 'failure', retryable: true, response };
  return { outcome: code === 'transform_timeout' ? 'success' : 'failure', retryable: false, response };
}

/**
 * No answer: unreachable or a missed connect deadline (retryable: nothing reached the origin's
 * application), or a missed answer deadline (not retried: another full wait is worse). The upload
 * deadline is neutral: a slow client's upload keeps the origin from answering.
 */
function judgeFailure(error: ImgedgeError): Verdict {
  const deadline = error.extra.deadline as Deadline | undefined;
  if (error.code === 'origin_unreachable' || deadline === 'connect') {
    return { outcome: 'failure', retryable: true, error };
  }
  return { outcome: deadline === 'upload' ? 'neutral' : 'failure', retryable: false, error };
}

function describe(cause: unknown): string | undefined {
  return cause === undefined ? undefined : String(cause);
}

const pools = new WeakMap<EdgeConfig, OriginPool>();

/** The pool of this config (one per isolate and environment, like the config itself). */
export function originPool(config: EdgeConfig): OriginPool {
  let pool = pools.get(config);
  if (!pool) {
    pool = new OriginPool(config);
    pools.set(config, pool);
  }
  return pool;
}
