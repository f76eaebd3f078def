/**
 * Helpers for the edge tests (they run inside workerd). The worker is called directly —
 * `worker.fetch(request, env, ctx)` — so a test can pass its own bindings and wait for the
 * `waitUntil` work (the Cache API put) before it expects a HIT.
 */
import '../support/edge-context.js';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeEach, inject, onTestFailed } from 'vitest';
import type { EdgeBindings } from '../../edge/config.js';
import worker from '../../edge/index.js';
import { signPath } from '../../shared/signature.js';
import { scrapeMetric } from '../support/metrics.js';

export const EDGE = 'https://img.example.test';

/**
 * The worker's console output (one JSON access-log line per request, warnings, errors), captured
 * instead of printed: tests can assert on it, and a failing test prints what it logged.
 */
export const logLines: string[] = [];
const print = console.error.bind(console);
for (const level of ['log', 'info', 'warn', 'error'] as const) {
  console[level] = (...args: unknown[]) => {
    logLines.push(args.map((a) => (typeof a === 'string' ? a : String(a))).join(' '));
  };
}
beforeEach(() => {
  logLines.length = 0;
  onTestFailed(() => print(`worker log of the failed test:\n${logLines.join('\n')}`));
});

/** The JSON log lines the worker wrote during this test. */
export function jsonLogs(): Record<string, unknown>[] {
  return logLines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The default bindings (vitest.config.ts). One stable object: one config, one set of limiters. */
export const defaultEnv = env as unknown as EdgeBindings;

/**
 * Bindings with overrides. The worker memoizes its config and limiters per env object, so a test
 * that needs state across calls (a rate-limit budget) must keep and reuse the object it gets here;
 * two objects behave like two worker isolates.
 */
export function makeEnv(overrides: Partial<Record<keyof EdgeBindings, string>> = {}): EdgeBindings {
  return { ...defaultEnv, ...overrides };
}

export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: BodyInit | null;
  env?: EdgeBindings;
}

/**
 * One request through the worker (paths are relative to EDGE). Returns once the request's
 * waitUntil work (the Cache API put) is done, so the next call can expect a HIT.
 */
export async function call(path: string, options: CallOptions = {}): Promise<Response> {
  const init: RequestInit = { method: options.method ?? 'GET', headers: options.headers ?? {} };
  if (options.body !== undefined) init.body = options.body;
  const request = new Request(new URL(path, EDGE), init);
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, options.env ?? defaultEnv, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/**
 * A client IP no other test uses, in this run or another (the limiters key on CF-Connecting-IP,
 * and Upstash keys live in the shared Redis for a whole window).
 */
const filePart = crypto.randomUUID().slice(0, 4);
let ipCounter = 0;
export function freshIp(): string {
  const run = inject('runId');
  ipCounter++;
  return `fd00:${run.slice(0, 4)}:${run.slice(4, 8)}:${filePart}::${ipCounter.toString(16)}`;
}

/** Browser-like Accept headers. */
export const ACCEPT = {
  chrome: 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8',
  webpOnly: 'image/webp,image/*,*/*;q=0.8',
  any: '*/*',
} as const;

/** `?sig=` for a canonical path, with the default signing key or another one. */
export function sign(canonicalPath: string, key = inject('signingKey')): Promise<string> {
  return signPath(canonicalPath, key);
}

/** A signed URL for `/img/<options>/<id>` whose options are already canonical. */
export async function signed(canonicalPath: string, key?: string): Promise<string> {
  return `${canonicalPath}?sig=${await sign(canonicalPath, key)}`;
}

/** Sum of a Prometheus series in an origin's /metrics over the label sets that match `labels`. */
export const metric = scrapeMetric;

/**
 * The `route` labels of the origin's variant routes (origin/http/routes/variants.ts): uploaded ids
 * and remote images (`@<source>/<path>`), each with and without options.
 */
export const VARIANT_ROUTES = [
  '/internal/v1/variants/:options/:id',
  '/internal/v1/variants/:id',
  '/internal/v1/variants/:options/:source{@[^/]+}/*',
  '/internal/v1/variants/:source{@[^/]+}/*',
] as const;

/** Requests the origin answered on its variant routes (what the edge sends on a cache miss). */
export async function variantCalls(originUrl = inject('originUrl')): Promise<number> {
  const counts = await Promise.all(
    VARIANT_ROUTES.map((route) => metric(originUrl, 'imgedge_http_requests_total', { route })),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/** Wait until the busy origin runs no transform (a test that timed out leaves one running). */
export function busyOriginIdle(): Promise<void> {
  const busy = inject('busyOriginUrl');
  return waitFor(
    async () => (await metric(busy, 'imgedge_transform_in_flight')) === 0,
    30_000,
    'the busy origin to finish its transforms',
  );
}

/** Every request the origin answered (all routes but its own /metrics scrapes). */
export async function originRequests(originUrl = inject('originUrl')): Promise<number> {
  const all = await metric(originUrl, 'imgedge_http_requests_total');
  const scrapes = await metric(originUrl, 'imgedge_http_requests_total', { route: '/metrics' });
  return all - scrapes;
}

/** The problem+json document of an error response (and checks its content type). */
export async function problem(res: Response): Promise<Record<string, unknown>> {
  const type = res.headers.get('content-type') ?? '';
  if (!type.startsWith('application/problem+json')) {
    throw new Error(
      `expected application/problem+json, got ${type || 'no content type'}: ${await res.text()}`,
    );
  }
  return (await res.json()) as Record<string, unknown>;
}

/** What the first bytes say the image is. */
export function sniff(bytes: ArrayBuffer): 'jpeg' | 'png' | 'webp' | 'avif' | 'gif' | 'unknown' {
  const b = new Uint8Array(bytes);
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (ascii(0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (ascii(4, 8) === 'ftyp' && /avi[fs]/.test(ascii(8, 12))) return 'avif';
  if (ascii(0, 4) === 'GIF8') return 'gif';
  return 'unknown';
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Poll until `check` is true (or fail after `timeoutMs`). */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
