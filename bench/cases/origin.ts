/**
 * Issue 3's cases: the real origin, a child process started like production
 * (bench/origin-process.ts), measured over HTTP on loopback.
 *
 * - origin-http-800w-webp-cold: GET /internal/v1/variants/w=<n>,f=webp/<id> against raw
 *   sharp doing the same work (the baseline of cases/transform.ts) at the same concurrency. Every
 *   request is a distinct variant (widths 800, 801, 802… on each side), so the origin never serves
 *   a cache hit or merges a flight; each response is checked to be a miss (Server-Timing
 *   `cache;desc=miss`). The origin's TRANSFORM_CONCURRENCY is the bench concurrency (4). Bar: 0.9.
 * - origin-http-cold-tc-default-vs-4: the same cold load against two origins, TRANSFORM_CONCURRENCY
 *   at its default (the CPU count) and 4, both with UV_THREADPOOL_SIZE=4: the knob's effect.
 * - origin-http-warm-variant: one variant already in the origin's disk cache, hammered by
 *   autocannon (32 connections, half the per-side duration): req/s, p50, p99.
 * - origin-peak-rss-16-cold (MALLOC_ARENA_MAX=2, as in the image) and
 *   origin-peak-rss-16-cold-glibc-arenas (MALLOC_ARENA_MAX unset): three bursts of 16 concurrent
 *   distinct cold 12 MP transforms; the origin's peak RSS, and how many got 200 or 503.
 */
import { availableParallelism } from 'node:os';
import type { CaseResult } from '../compare.js';
import type { CorpusImage } from '../corpus.js';
import { httpSide } from '../http.js';
import { percentile } from '../measure.js';
import {
  get,
  ORIGIN_DB,
  ORIGIN_RUNNER,
  type Origin,
  type OriginOptions,
  PRODUCTION_ENV,
  startOrigin,
} from '../origin-process.js';
import { ENCODER_DEFAULTS } from '../pipeline.js';
import { type BenchCase, defineCase, type Op } from '../types.js';
import { rawSharp, toWidth } from './transform.js';

const FIRST_WIDTH = 800;
/** The origin's default TRANSFORM_CONCURRENCY (origin/config/schema.ts). */
const DEFAULT_TC = availableParallelism();

export const round = (n: number | undefined, digits = 1) =>
  n === undefined || !Number.isFinite(n) ? null : Number(n.toFixed(digits));

/** Widths 800, 801, 802…: a distinct variant per call. Each side has its own sequence. */
function widths(): () => number {
  let next = FIRST_WIDTH;
  return () => next++;
}

/** Raw sharp, `{ w, f: 'webp' }` with a new width per call (cases/transform.ts's chain). */
function rawWebp(source: CorpusImage): Op {
  const width = widths();
  return () => rawSharp(source, toWidth(width()), (image) => image.webp(ENCODER_DEFAULTS.webp));
}

export interface Tally {
  /** Calls made so far (the harness's first call describes the output, then the warm-up). */
  calls: number;
  /** Status counts of calls numbered `from` and later. */
  from: number;
  statuses: Record<number, number>;
  /** The origin's own Server-Timing of each 200: `transform` (read original, pipeline, cache write) and `total`. */
  transformMs: number[];
  totalMs: number[];
}

export const tally = (from = 0): Tally => ({ calls: 0, from, statuses: {}, transformMs: [], totalMs: [] });

const timingOf = (header: string, name: string) => {
  const m = new RegExp(`${name};dur=([\\d.]+)`).exec(header);
  return m ? Number(m[1]) : undefined;
};

/**
 * A cold variant from the origin per call: must be 200 and a miss (not a disk hit, not a shared
 * flight). With `allow503`, a queue-full 503 is counted instead of failing the run.
 */
export function coldOrigin(origin: Origin, t: Tally, allow503 = false): Op {
  const width = widths();
  return async () => {
    const w = width();
    const call = t.calls++;
    const res = await get(origin.variantUrl({ w, f: 'webp' }), origin.headers);
    if (call >= t.from) t.statuses[res.status] = (t.statuses[res.status] ?? 0) + 1;
    if (res.status === 503 && allow503) return undefined;
    if (res.status !== 200) {
      throw new Error(`origin w=${w}: HTTP ${res.status} ${res.body.toString().slice(0, 200)}`);
    }
    const timing = res.headers.get('server-timing') ?? '';
    if (!timing.includes('cache;desc=miss')) throw new Error(`origin w=${w} was not a cold miss: ${timing}`);
    const transform = timingOf(timing, 'transform');
    const total = timingOf(timing, 'total');
    if (call >= t.from && transform !== undefined && total !== undefined) {
      t.transformMs.push(transform);
      t.totalMs.push(total);
    }
    return res.body;
  };
}

/** Keys every origin case reports: how the origin ran. */
export function originFields(env: Record<string, string | undefined>): Record<string, unknown> {
  return {
    origin_db: ORIGIN_DB,
    origin_runner: ORIGIN_RUNNER,
    origin_transform_concurrency: Number(env.TRANSFORM_CONCURRENCY),
    origin_uv_threadpool_size: Number(env.UV_THREADPOOL_SIZE),
    origin_malloc_arena_max: env.MALLOC_ARENA_MAX === undefined ? null : Number(env.MALLOC_ARENA_MAX),
  };
}

/** The environment an origin gets from these options (for the report). */
export function effectiveEnv(opts: OriginOptions): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    ...PRODUCTION_ENV,
    TRANSFORM_CONCURRENCY: '4',
    ...opts.env,
  };
  for (const name of opts.unset ?? []) env[name] = undefined;
  return env;
}

const oneSided = (r: CaseResult, prefix: 'req' | 'ops' = 'req') => ({
  [`${prefix}_s`]: round(r.candidate?.opsPerSec, 2),
  p50_ms: round(r.candidate?.p50Ms),
  p99_ms: round(r.candidate?.p99Ms),
});

// ---------------------------------------------------------------------------------------------

interface ColdState {
  source: CorpusImage;
  origin: Origin;
  options: OriginOptions;
  tally: Tally;
}

const cold = defineCase<ColdState>({
  name: 'origin-http-800w-webp-cold',
  baselineLabel: 'raw sharp',
  candidateLabel: 'origin HTTP',
  ratioFloor: 0.9,
  // 16 distinct variants per concurrency slot and side (64 at concurrency 4), split over 3 rounds.
  plan: (ctx) => ({ count: 16 * ctx.concurrency }),
  setup: async (ctx) => {
    const options: OriginOptions = { label: 'cold', env: { TRANSFORM_CONCURRENCY: String(ctx.concurrency) } };
    const origin = await startOrigin(ctx.corpus.jpeg12mp.bytes, options);
    return { source: ctx.corpus.jpeg12mp, origin, options, tally: tally() };
  },
  baseline: (s) => rawWebp(s.source),
  candidate: (s) => coldOrigin(s.origin, s.tally),
  pids: (s) => [s.origin.pid],
  fields: (s, r) => ({
    ...originFields(effectiveEnv(s.options)),
    target_ratio: 0.9,
    origin_peak_rss_mb: round(r.otherPeakRssMb, 0),
    origin_requests: s.tally.calls,
    // Server-side view (Server-Timing) of the same requests, warm-up included.
    origin_transform_p50_ms: round(percentile(s.tally.transformMs, 50)),
    origin_total_p50_ms: round(percentile(s.tally.totalMs, 50)),
  }),
  teardown: (s) => s.origin.stop(),
});

// ---------------------------------------------------------------------------------------------

interface KnobState {
  low: Origin;
  high: Origin;
  lowOptions: OriginOptions;
  highOptions: OriginOptions;
}

const knob = defineCase<KnobState>({
  name: 'origin-http-cold-tc-default-vs-4',
  baselineLabel: `origin TC=${DEFAULT_TC} (default)`,
  candidateLabel: 'origin TC=4',
  ratioFloor: null,
  plan: (ctx) => ({ count: 16 * ctx.concurrency }),
  setup: async (ctx) => {
    const jpeg = ctx.corpus.jpeg12mp.bytes;
    // No TRANSFORM_CONCURRENCY: the origin's own default (the CPU count).
    const lowOptions: OriginOptions = { label: 'TC default', unset: ['TRANSFORM_CONCURRENCY'] };
    const highOptions: OriginOptions = { label: 'TC 4', env: { TRANSFORM_CONCURRENCY: '4' } };
    const low = await startOrigin(jpeg, lowOptions);
    try {
      return { low, high: await startOrigin(jpeg, highOptions), lowOptions, highOptions };
    } catch (err) {
      await low.stop();
      throw err;
    }
  },
  baseline: (s) => coldOrigin(s.low, tally()),
  candidate: (s) => coldOrigin(s.high, tally()),
  pids: (s) => [s.low.pid, s.high.pid],
  fields: (s) => ({
    ...originFields(effectiveEnv(s.highOptions)),
    // Per side (the shared key above would name only the candidate's).
    origin_transform_concurrency: null,
    baseline_transform_concurrency: DEFAULT_TC,
    pipeline_transform_concurrency: 4,
  }),
  teardown: async (s) => {
    await Promise.all([s.low.stop(), s.high.stop()]);
  },
});

// ---------------------------------------------------------------------------------------------

interface WarmState {
  origin: Origin;
  options: OriginOptions;
  url: string;
  bytes: number;
}

const WARM_CONNECTIONS = 32;

const warm = defineCase<WarmState>({
  name: 'origin-http-warm-variant',
  baselineLabel: 'none',
  candidateLabel: 'origin warm',
  plan: (ctx) => ({ concurrency: WARM_CONNECTIONS, durationMs: ctx.durationMs / 2 }),
  setup: async (ctx) => {
    const options: OriginOptions = { label: 'warm' };
    const origin = await startOrigin(ctx.corpus.jpeg12mp.bytes, options);
    try {
      const url = origin.variantUrl({ w: 800, f: 'webp' });
      const first = await get(url, origin.headers);
      const second = await get(url, origin.headers);
      if (first.status !== 200 || second.status !== 200 || second.headers.get('x-variant-cache') !== 'HIT') {
        throw new Error(
          `priming ${url}: HTTP ${first.status} then ${second.status} ${second.headers.get('x-variant-cache')}`,
        );
      }
      return { origin, options, url, bytes: second.body.length };
    } catch (err) {
      await origin.stop();
      throw err;
    }
  },
  candidate: (s) => httpSide({ urls: s.url, headers: s.origin.headers }),
  pids: (s) => [s.origin.pid],
  note: (s, r) =>
    `${r.candidate?.opsPerSec.toFixed(0)} req/s, p99 ${r.candidate?.p99Ms.toFixed(1)} ms, ` +
    `${(s.bytes / 1024).toFixed(1)} kB webp`,
  fields: (s, r) => ({
    ...originFields(effectiveEnv(s.options)),
    ...oneSided(r),
    connections: WARM_CONNECTIONS,
    body_kb: round(s.bytes / 1024),
    origin_peak_rss_mb: round(r.otherPeakRssMb, 0),
  }),
  teardown: (s) => s.origin.stop(),
});

// ---------------------------------------------------------------------------------------------

interface RssState {
  origin: Origin;
  options: OriginOptions;
  tally: Tally;
  idleRssMb: number;
}

const BURST = 16;
const BURSTS = 3;
/** The harness's calls before the bursts: one to describe the output, one warm-up. */
const BEFORE_BURSTS = 2;

function rssCase(name: string, label: string, options: OriginOptions): BenchCase {
  return defineCase<RssState>({
    name,
    baselineLabel: 'none',
    candidateLabel: label,
    // Each round is one burst: 16 requests at once, every one a distinct cold variant.
    plan: () => ({ concurrency: BURST, count: BURST * BURSTS, warmupCount: 1 }),
    setup: async (ctx) => {
      const origin = await startOrigin(ctx.corpus.jpeg12mp.bytes, options);
      return { origin, options, tally: tally(BEFORE_BURSTS), idleRssMb: origin.rssMb() };
    },
    candidate: (s) => coldOrigin(s.origin, s.tally, true),
    pids: (s) => [s.origin.pid],
    note: (s, r) =>
      `origin peak ${r.otherPeakRssMb?.toFixed(0)} MB (idle ${s.idleRssMb.toFixed(0)}); ` +
      `${s.tally.statuses[200] ?? 0}×200 ${s.tally.statuses[503] ?? 0}×503`,
    fields: (s, r) => ({
      ...originFields(effectiveEnv(s.options)),
      ...oneSided(r),
      bursts: BURSTS,
      burst_size: BURST,
      status_200: s.tally.statuses[200] ?? 0,
      status_503: s.tally.statuses[503] ?? 0,
      origin_idle_rss_mb: round(s.idleRssMb, 0),
      origin_peak_rss_mb: round(r.otherPeakRssMb, 0),
      origin_rss_after_mb: round(s.origin.rssMb(), 0),
    }),
    teardown: (s) => s.origin.stop(),
  });
}

export const cases: BenchCase[] = [
  cold,
  knob,
  warm,
  rssCase('origin-peak-rss-16-cold', 'origin MALLOC_ARENA_MAX=2', { label: 'rss' }),
  rssCase('origin-peak-rss-16-cold-glibc-arenas', 'origin glibc arenas', {
    label: 'rss, glibc arenas',
    unset: ['MALLOC_ARENA_MAX'],
  }),
];
