/**
 * HTTP load for cases whose operation is a request (issue 3: origin over HTTP, warm variants;
 * issue 4: edge cache hits through `wrangler dev`). autocannon drives keep-alive connections;
 * every response's latency is recorded raw so rounds merge exactly like in-process ops.
 *
 * Bounded on purpose: loopback URLs only, ≤ 256 connections, ≤ 300 s or ≤ 1e6 requests.
 * autocannon runs on this process's event loop: an origin started in the same process shares
 * it, so start heavy servers as child processes (bench/server.ts) and pass their pids to the case.
 * In a time-boxed run autocannon drops in-flight requests at the deadline while the server
 * may still be working on them; for expensive endpoints use a count budget (all requests
 * complete) or pass `settle` to wait until the server is idle before the next phase.
 */
import autocannon from 'autocannon';
import type { Budget, LoadSide, Measurement } from './types.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const MAX_CONNECTIONS = 256;
const MAX_DURATION_MS = 300_000;
const MAX_REQUESTS = 1_000_000;

export interface HttpTarget {
  /**
   * What to request, all on one loopback origin: one URL; a list (each connection walks it in
   * order); or a function of a global request counter, e.g. a distinct variant per request.
   */
  urls: string | readonly string[] | ((i: number) => string);
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Which statuses count as success; default 2xx. Others are counted as errors. */
  ok?: (status: number) => boolean;
  /** Per-request timeout, seconds (default 30). */
  timeoutS?: number;
  /** Runs after each load phase, e.g. wait for the server's queue to drain. */
  settle?: () => Promise<void>;
}

export interface HttpLoadOptions extends HttpTarget {
  connections: number;
  durationMs?: number;
  /** Total requests; takes precedence over durationMs. */
  requests?: number;
}

function originOf(url: string): URL {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`not an http URL: ${url}`);
  if (!LOOPBACK.has(u.hostname)) throw new Error(`bench HTTP load is loopback-only, got ${u.hostname}`);
  return u;
}

/** Run autocannon and return what it measured (ops = successful responses). */
export async function httpLoad(opts: HttpLoadOptions): Promise<Measurement> {
  const { connections, durationMs, requests } = opts;
  if (!Number.isInteger(connections) || connections < 1 || connections > MAX_CONNECTIONS) {
    throw new Error(`connections must be 1..${MAX_CONNECTIONS}, got ${connections}`);
  }
  if (requests !== undefined) {
    if (!Number.isInteger(requests) || requests < 1 || requests > MAX_REQUESTS) {
      throw new Error(`requests must be 1..${MAX_REQUESTS}, got ${requests}`);
    }
  } else if (durationMs === undefined || !(durationMs > 0) || durationMs > MAX_DURATION_MS) {
    throw new Error(`durationMs must be in (0, ${MAX_DURATION_MS}], got ${durationMs}`);
  }

  const list = typeof opts.urls === 'string' ? [opts.urls] : opts.urls;
  const first = typeof list === 'function' ? list(0) : list[0];
  if (first === undefined) throw new Error('no URL to load');
  const origin = originOf(first).origin;
  const pathOf = (url: string) => {
    const u = originOf(url);
    if (u.origin !== origin) throw new Error(`all URLs must share one origin: ${origin} vs ${u.origin}`);
    return `${u.pathname}${u.search}`;
  };
  let counter = 0;
  const reqs =
    typeof list === 'function'
      ? [{ setupRequest: (req: { path?: string }) => ({ ...req, path: pathOf(list(counter++)) }) }]
      : list.map((u) => ({ path: pathOf(u) }));

  const ok = opts.ok ?? ((s: number) => s >= 200 && s < 300);
  const latenciesMs: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let last = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const instance = autocannon(
      {
        url: origin,
        connections,
        ...(requests !== undefined ? { amount: requests } : { duration: (durationMs ?? 0) / 1000 }),
        timeout: opts.timeoutS ?? 30,
        sampleInt: 100, // autocannon checks its stop flag on this tick
        method: opts.method ?? 'GET',
        headers: opts.headers ?? {},
        ...(opts.body !== undefined ? { body: opts.body } : {}),
        requests: reqs,
      },
      (err) => (err ? reject(err) : resolve()),
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      last = performance.now();
      if (ok(status)) latenciesMs.push(ms);
      else {
        errors++;
        firstError ??= `HTTP ${status}`;
      }
    });
    instance.on('reqError', (err: Error) => {
      errors++;
      firstError ??= err.message;
    });
  });
  const elapsedMs = (last || performance.now()) - t0;
  await opts.settle?.();
  const m: Measurement = { ops: latenciesMs.length, errors, elapsedMs, latenciesMs };
  if (firstError !== undefined) m.firstError = firstError;
  return m;
}

/** A case side that loads `target`, taking connections and duration/count from the budget. */
export function httpSide(target: HttpTarget): LoadSide {
  return {
    kind: 'load',
    run: (budget: Budget) =>
      httpLoad({
        ...target,
        connections: budget.concurrency,
        ...(budget.count !== undefined ? { requests: budget.count } : {}),
        ...(budget.durationMs !== undefined ? { durationMs: budget.durationMs } : {}),
      }),
  };
}
