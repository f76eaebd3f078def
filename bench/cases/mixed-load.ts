/**
 * Issue 15's mixed load: WebP misses while AVIF misses run at the same time, against one real
 * origin (bench/origin-process.ts, TRANSFORM_CONCURRENCY=4). Baseline: WebP misses alone (one at
 * a time, each a distinct cold variant of the 12 MP corpus JPEG). Candidate: the same WebP misses
 * while AVIF_LOAD clients keep asking for distinct cold AVIF variants of it (started before the
 * side is measured, drained after, so the baseline rounds never overlap AVIF work). Rounds
 * alternate B C C B B C as in every case.
 *
 * The figure is `p99_ratio` = WebP p99 with AVIF busy ÷ WebP p99 alone (bar ≤ 1.5): with the
 * defaults (AVIF encoded in child processes at nice 10, TRANSFORM_AVIF_SHARE=50%: two of four
 * slots), and, for comparison, AVIF encoded in process with the share on (25%: one slot) and off
 * (100%: AVIF may take all four).
 */
import type { CaseResult } from '../compare.js';
import { measure, percentile } from '../measure.js';
import { get, type Origin, type OriginOptions, startOrigin, withChildren } from '../origin-process.js';
import { type BenchCase, type Budget, defineCase, type LoadSide, type Op } from '../types.js';
import { effectiveEnv, originFields, round } from './origin.js';

/** Concurrent AVIF clients during the candidate side: enough to fill every slot without a share. */
const AVIF_LOAD = 4;
const P99_BAR = 1.5;

interface MixedState {
  origin: Origin;
  options: OriginOptions;
  /**
   * Next width of each sequence: every request is a distinct, cold variant. The two WebP sides
   * interleave (even and odd widths from 1000) so both make the same size of output.
   */
  next: { alone: number; busy: number; avif: number };
  avifDone: number;
  /**
   * Per side, the origin's own view of each WebP miss (Server-Timing): `total` − `transform` is the
   * time it waited for a slot (plus the original's read), insensitive to CPU stolen by other
   * processes, which lengthens `transform` itself.
   */
  waitMs: { alone: number[]; busy: number[] };
}

const timingOf = (header: string, name: string) => {
  const m = new RegExp(`${name};dur=([\\d.]+)`).exec(header);
  return m ? Number(m[1]) : undefined;
};

/** One cold miss of format `f` (must be 200 and a transform at the origin). */
async function coldMiss(origin: Origin, w: number, f: 'webp' | 'avif', waits?: number[]): Promise<Buffer> {
  const res = await get(origin.variantUrl({ w, f }), origin.headers);
  if (res.status !== 200)
    throw new Error(`origin w=${w},f=${f}: HTTP ${res.status} ${res.body.toString().slice(0, 200)}`);
  const timing = res.headers.get('server-timing') ?? '';
  if (!timing.includes('cache;desc=miss'))
    throw new Error(`origin w=${w},f=${f} was not a cold miss: ${timing}`);
  const total = timingOf(timing, 'total');
  const transform = timingOf(timing, 'transform');
  if (waits && total !== undefined && transform !== undefined) waits.push(total - transform);
  return res.body;
}

/** The origin's gauge of AVIF encodes running now. */
async function avifInFlight(origin: Origin): Promise<number> {
  const res = await get(`${origin.url}/metrics`);
  const m = /^imgedge_transform_avif_in_flight (\S+)$/m.exec(res.body.toString());
  return m ? Number(m[1]) : 0;
}

/** The next width of a WebP side (each side steps by 2: its own parity). */
function nextWebp(s: MixedState, side: 'alone' | 'busy'): number {
  s.next[side] += 2;
  return s.next[side];
}

function webpAlone(s: MixedState): Op {
  return () => coldMiss(s.origin, nextWebp(s, 'alone'), 'webp', s.waitMs.alone);
}

function webpWhileAvif(s: MixedState): LoadSide {
  return {
    kind: 'load',
    async run(budget: Budget) {
      let stop = false;
      let failure: unknown;
      const avifClient = async () => {
        while (!stop && failure === undefined) {
          try {
            await coldMiss(s.origin, s.next.avif++, 'avif');
            s.avifDone++;
          } catch (err) {
            failure ??= err;
          }
        }
      };
      const clients = Array.from({ length: AVIF_LOAD }, avifClient);
      // Measure only once AVIF encodes hold slots.
      while ((await avifInFlight(s.origin)) < 1 && failure === undefined) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const measured = await measure(
        () => coldMiss(s.origin, nextWebp(s, 'busy'), 'webp', s.waitMs.busy),
        budget,
      ).catch((err: unknown) => {
        failure ??= err;
        return undefined;
      });
      stop = true;
      await Promise.all(clients);
      if (failure !== undefined || measured === undefined) throw failure;
      return measured;
    },
  };
}

function mixedCase(name: string, env: { share: string; nice: string }, label: string): BenchCase {
  const share = env.share;
  return defineCase<MixedState>({
    name,
    baselineLabel: 'webp misses alone',
    candidateLabel: `webp misses + ${AVIF_LOAD} avif clients (${label})`,
    ratioFloor: null,
    // WebP misses one at a time, 30 per side over 3 rounds (p99 of 30 is the slowest but one).
    plan: () => ({ concurrency: 1, count: 30, warmupCount: 2 }),
    setup: async (ctx) => {
      const options: OriginOptions = {
        label: name,
        env: { TRANSFORM_CONCURRENCY: '4', TRANSFORM_AVIF_SHARE: share, AVIF_NICE: env.nice },
      };
      const origin = await startOrigin(ctx.corpus.jpeg12mp.bytes, options);
      // Start the AVIF encoder processes (one per AVIF slot, made on first use), so their CPU is
      // counted as the origin's, not as other processes'.
      await Promise.all([700, 701].map((w) => coldMiss(origin, w, 'avif')));
      return {
        origin,
        options,
        next: { alone: 998, busy: 999, avif: 800 },
        avifDone: 0,
        waitMs: { alone: [], busy: [] },
      };
    },
    baseline: webpAlone,
    candidate: webpWhileAvif,
    pids: (s) => withChildren(s.origin.pid),
    note: (s, r) =>
      `webp p99 with AVIF busy ÷ alone = ${p99Ratio(r)?.toFixed(2) ?? 'n/a'} (bar ≤ ${P99_BAR}); ` +
      `origin wait p99 ${percentile(s.waitMs.busy, 99).toFixed(0)} ms busy vs ${percentile(s.waitMs.alone, 99).toFixed(0)} ms alone`,
    fields: (s, r) => ({
      ...originFields(effectiveEnv(s.options)),
      transform_avif_share: share,
      avif_nice: env.nice,
      avif_clients: AVIF_LOAD,
      avif_misses_done: s.avifDone,
      webp_p99_alone_ms: round(r.baseline?.p99Ms),
      webp_p99_avif_busy_ms: round(r.candidate?.p99Ms),
      webp_p50_alone_ms: round(r.baseline?.p50Ms),
      webp_p50_avif_busy_ms: round(r.candidate?.p50Ms),
      p99_ratio: round(p99Ratio(r), 2),
      // Warm-up included: the origin's time before the transform (slot wait + original read).
      webp_origin_wait_p99_alone_ms: round(percentile(s.waitMs.alone, 99)),
      webp_origin_wait_p99_avif_busy_ms: round(percentile(s.waitMs.busy, 99)),
      target_p99_ratio: P99_BAR,
    }),
    teardown: (s) => s.origin.stop(),
  });
}

function p99Ratio(r: CaseResult): number | undefined {
  if (!r.baseline || !r.candidate || !(r.baseline.p99Ms > 0)) return undefined;
  return r.candidate.p99Ms / r.baseline.p99Ms;
}

export const cases = [
  // The defaults: AVIF encodes in niced processes (AVIF_NICE=10), half the slots.
  mixedCase(
    'origin-mixed-webp-p99-avif-nice',
    { share: '50%', nice: '10' },
    'defaults: AVIF_NICE=10, share 50%',
  ),
  // Without the niced processes, for comparison: the share alone, and nothing.
  mixedCase('origin-mixed-webp-p99-avif-share-on', { share: '25%', nice: 'off' }, 'AVIF_NICE=off, share 25%'),
  mixedCase('origin-mixed-webp-p99-avif-share-off', { share: '100%', nice: 'off' }, 'AVIF_NICE=off, no cap'),
];
