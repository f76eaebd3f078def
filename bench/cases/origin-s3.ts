/**
 * Issue 10's cases: originals (and variants) in an S3-compatible bucket. The bucket is s3rver in a
 * child process (bench/s3.ts); origins are started like the other origin cases
 * (bench/origin-process.ts) plus the S3_* variables.
 *
 * - origin-s3-vs-local-800w-webp-cold: the cold load of origin-http-800w-webp-cold (a distinct
 *   width per request, each response a miss) against two origins: originals in the local folder
 *   (baseline) and in the bucket (candidate): the 3.9 MB original is read from S3 once, then from
 *   the origin's memory (ORIGINAL_CACHE_BYTES), and each variant is written to tier 2. Bar: ratio
 *   ≥ 0.9.
 * - origin-s3-vs-local-800w-webp-cold-mezzanine: the same with MEZZANINES=true on both origins:
 *   each variant reads the 1024 px level (2.3 MB), which the S3 origin holds in memory once read or
 *   made (mezzanine/cached-store.ts, ORIGINAL_CACHE_BYTES). Bar: ratio ≥ 0.9.
 * - origin-s3-tier2-hit-vs-tier1-hit: variants already made, served from the origin's disk cache
 *   (tier 1, baseline) vs from the bucket by an origin whose OUTPUT_DIR is empty (tier 2,
 *   candidate). Origin A (S3_* set) makes N distinct variants; once they are in the bucket, origin B
 *   (same database copy, same bucket, empty OUTPUT_DIR) is asked for each once: every answer must be
 *   a tier-2 hit (Server-Timing `cache;desc=` neither `miss` nor `shared`, no `transform;dur`). A
 *   probe variant is asked first; if B transforms it (tier 2 not wired in this origin), the case
 *   reports "tier 2 not available" with the tier-1 figure alone and no ratio.
 */
import type { CaseResult } from '../compare.js';
import { processTicks } from '../cpu.js';
import { get, type Origin, type OriginOptions, startOrigin } from '../origin-process.js';
import { type BenchS3, startBenchS3 } from '../s3.js';
import { defineCase, type Op } from '../types.js';
import { coldOrigin, effectiveEnv, originFields, round, type Tally, tally } from './origin.js';

const TICK_MS = 10; // USER_HZ 100

/** Stop both origins and the bucket, whatever started. */
async function stopAll(s3: BenchS3 | undefined, origins: (Origin | undefined)[]): Promise<void> {
  await Promise.all(origins.map((o) => o?.stop()));
  await s3?.stop();
}

// ---------------------------------------------------------------------------------------------

interface ColdState {
  s3: BenchS3;
  local: Origin;
  remote: Origin;
  options: OriginOptions;
  localTally: Tally;
  remoteTally: Tally;
  /** The s3rver child's CPU ticks when the rounds start (its work per S3 request is reported apart). */
  s3Ticks0: number;
}

/** Cold variants, originals local (baseline) vs in the bucket (candidate); `env` on both origins. */
const coldCase = (name: string, env: Record<string, string> = {}) =>
  defineCase<ColdState>({
    name,
    baselineLabel: 'origin, local originals',
    candidateLabel: 'origin, S3 originals',
    ratioFloor: 0.9,
    plan: (ctx) => ({ count: 16 * ctx.concurrency }),
    setup: async (ctx) => {
      const tc = { TRANSFORM_CONCURRENCY: String(ctx.concurrency), ...env };
      const jpeg = ctx.corpus.jpeg12mp.bytes;
      let s3: BenchS3 | undefined;
      let local: Origin | undefined;
      try {
        s3 = await startBenchS3();
        local = await startOrigin(jpeg, { label: 'local originals', env: tc });
        await s3.putOriginal(local.sha256, jpeg);
        const options: OriginOptions = { label: 'S3 originals', env: { ...tc, ...s3.env } };
        const remote = await startOrigin(jpeg, options);
        return {
          s3,
          local,
          remote,
          options,
          localTally: tally(),
          remoteTally: tally(),
          s3Ticks0: processTicks(s3.pid),
        };
      } catch (err) {
        await stopAll(s3, [local]);
        throw err;
      }
    },
    baseline: (s) => coldOrigin(s.local, s.localTally),
    candidate: (s) => coldOrigin(s.remote, s.remoteTally),
    // The s3rver child's CPU counts with the S3 side (it only works then): it is on this machine.
    pids: (s) => [s.local.pid, s.remote.pid, s.s3.pid],
    fields: (s, r: CaseResult) => {
      // s3rver's CPU per S3-side request (GetObject of the original or a level, tier-2 PUT), warm-up
      // included; part of pipeline_cpu_ms_per_op. Without it: what the origin side costs when the
      // store is remote.
      const s3Ms = ((processTicks(s.s3.pid) - s.s3Ticks0) * TICK_MS) / Math.max(1, s.remoteTally.calls);
      const base = r.baseline?.cpuMsPerOp;
      const cand = r.candidate?.cpuMsPerOp;
      return {
        ...originFields(effectiveEnv(s.options)),
        target_ratio: 0.9,
        origin_peak_rss_mb: round(r.otherPeakRssMb, 0),
        origin_requests: s.localTally.calls + s.remoteTally.calls,
        s3_server_cpu_ms_per_op: round(s3Ms),
        cpu_ratio_without_s3_server:
          base !== undefined && cand !== undefined && cand - s3Ms > 0 ? round(base / (cand - s3Ms), 3) : null,
      };
    },
    teardown: (s) => stopAll(s.s3, [s.local, s.remote]),
  });

const cold = coldCase('origin-s3-vs-local-800w-webp-cold');
const coldMezzanine = coldCase('origin-s3-vs-local-800w-webp-cold-mezzanine', { MEZZANINES: 'true' });

// ---------------------------------------------------------------------------------------------

/** Hits measured per concurrency slot and side (each candidate hit needs a variant of its own). */
const HITS_PER_SLOT = 64;
const FIRST_WIDTH = 800;

const variantUrl = (o: Origin, w: number) => o.variantUrl({ w, f: 'webp' });
const cacheDesc = (timing: string) => /cache;desc=([\w-]+)/.exec(timing)?.[1];

/** Sum of the origin's imgedge_transforms_total (every format and result). */
async function transformsRun(o: Origin): Promise<number> {
  const res = await get(`${o.url}/metrics`);
  let sum = 0;
  for (const m of res.body.toString().matchAll(/^imgedge_transforms_total(?:\{[^}]*\})? ([\d.e+]+)$/gm)) {
    sum += Number(m[1]);
  }
  return sum;
}

/** Ask for each width once (at most `concurrency` at a time); every answer must be 200. */
async function prime(o: Origin, widths: readonly number[], concurrency: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < widths.length; i = next++) {
      const w = widths[i] as number;
      const res = await get(variantUrl(o, w), o.headers);
      if (res.status !== 200) throw new Error(`priming w=${w}: HTTP ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

/**
 * Wait until the bucket holds `n` objects outside originals/ (the origin writes tier 2 off the
 * response path), or until the count stops growing for `quietMs` (none, when tier 2 is not wired).
 */
async function waitForBucket(s3: BenchS3, n: number, quietMs = 3000): Promise<number> {
  let count = await s3.countNonOriginals();
  let since = performance.now();
  while (count < n && performance.now() - since < quietMs) {
    await new Promise((r) => setTimeout(r, 200));
    const now = await s3.countNonOriginals();
    if (now !== count) since = performance.now();
    count = now;
  }
  return count;
}

/** Tier-1 hits on `o`, walking `widths` round and round: each answer must be `x-variant-cache: HIT`. */
function tier1Hits(o: Origin, widths: readonly number[]): Op {
  let i = 0;
  return async () => {
    const w = widths[i++ % widths.length] as number;
    const res = await get(variantUrl(o, w), o.headers);
    if (res.status !== 200 || res.headers.get('x-variant-cache') !== 'HIT') {
      throw new Error(`tier 1 w=${w}: HTTP ${res.status} ${res.headers.get('server-timing')}`);
    }
    return res.body;
  };
}

/** A tier-2 hit: 200, not made here (no miss, no shared flight, no transform time). */
function isTier2Hit(status: number, timing: string): boolean {
  const desc = cacheDesc(timing);
  return (
    status === 200 &&
    desc !== undefined &&
    desc !== 'miss' &&
    desc !== 'shared' &&
    !timing.includes('transform;dur')
  );
}

/** Tier-2 hits on `o` (empty tier 1): each width once, so none has reached its tier 1 yet. */
function tier2Hits(o: Origin, widths: readonly number[]): Op {
  let i = 0;
  return async () => {
    const w = widths[i++];
    if (w === undefined) throw new Error(`tier 2: the ${widths.length} primed variants are used up`);
    const res = await get(variantUrl(o, w), o.headers);
    const timing = res.headers.get('server-timing') ?? '';
    if (!isTier2Hit(res.status, timing)) throw new Error(`tier 2 w=${w}: HTTP ${res.status} ${timing}`);
    return res.body;
  };
}

interface Tier2State {
  s3: BenchS3;
  tier1: Origin;
  tier2: Origin;
  options: OriginOptions;
  widths: number[];
  /** The variants tier 1 holds for its side: all of `widths`, or the first few when tier 2 is not measured. */
  tier1Widths: number[];
  /** Tier 2 answered the probe without a transform. */
  available: boolean;
  /** What the probe got: Server-Timing and x-variant-cache of the empty-OUTPUT_DIR origin. */
  probe: string;
  /** Objects outside originals/ in the bucket after priming. */
  bucketVariants: number;
}

const tiers = defineCase<Tier2State>({
  name: 'origin-s3-tier2-hit-vs-tier1-hit',
  baselineLabel: 'tier-1 hit (disk)',
  candidateLabel: 'tier-2 hit (bucket)',
  ratioFloor: null,
  plan: (ctx) => ({ count: HITS_PER_SLOT * ctx.concurrency }),
  setup: async (ctx) => {
    const c = ctx.concurrency;
    // The harness's calls: one to describe the output, the warm-up, then 3 rounds of ceil(count / 3).
    const needed = 1 + Math.max(2, c) + 3 * Math.ceil((HITS_PER_SLOT * c) / 3);
    const probeWidth = FIRST_WIDTH;
    const widths = Array.from({ length: needed }, (_, i) => FIRST_WIDTH + 1 + i);
    const jpeg = ctx.corpus.jpeg12mp.bytes;
    let s3: BenchS3 | undefined;
    let tier1: Origin | undefined;
    let tier2: Origin | undefined;
    try {
      s3 = await startBenchS3();
      // The seed's sha256 comes with any origin; the bucket gets the original before the S3 origins start.
      const seed = await startOrigin(jpeg, { label: 'seed for S3' });
      const sha256 = seed.sha256;
      await seed.stop();
      await s3.putOriginal(sha256, jpeg);
      const options: OriginOptions = {
        label: 'tier 1 + 2',
        env: { TRANSFORM_CONCURRENCY: String(c), ...s3.env },
      };
      tier1 = await startOrigin(jpeg, options);
      await prime(tier1, [probeWidth], 1);
      let bucketVariants = await waitForBucket(s3, 1);
      // A fresh origin on the same bucket and database, its OUTPUT_DIR (tier 1) empty.
      tier2 = await startOrigin(jpeg, { ...options, label: 'tier 2, empty OUTPUT_DIR' });
      const tier2Transforms0 = await transformsRun(tier2);
      const res = await get(variantUrl(tier2, probeWidth), tier2.headers);
      const timing = res.headers.get('server-timing') ?? '';
      const transformed = (await transformsRun(tier2)) - tier2Transforms0;
      const probe =
        `HTTP ${res.status}, Server-Timing "${timing}", x-variant-cache ${res.headers.get('x-variant-cache')}, ` +
        `transforms +${transformed}`;
      const available = isTier2Hit(res.status, timing) && transformed === 0;
      let tier1Widths = widths;
      if (available) {
        process.stderr.write(`  tier 2 answered the probe (${probe}); priming ${widths.length} variants\n`);
        await prime(tier1, widths, c);
        bucketVariants = await waitForBucket(s3, 1 + widths.length);
      } else {
        // Only tier 1 is measured: prime enough variants for its side.
        process.stderr.write(`  tier 2 not available (${probe}); measuring tier 1 only\n`);
        tier1Widths = widths.slice(0, 4 * c);
        await prime(tier1, tier1Widths, c);
      }
      return {
        s3,
        tier1,
        tier2,
        options,
        widths,
        tier1Widths,
        available,
        probe,
        bucketVariants,
      };
    } catch (err) {
      await stopAll(s3, [tier1, tier2]);
      throw err;
    }
  },
  baseline: (s) => tier1Hits(s.tier1, s.tier1Widths),
  candidate: (s) => (s.available ? tier2Hits(s.tier2, s.widths) : undefined),
  pids: (s) => [s.tier1.pid, s.tier2.pid, s.s3.pid],
  note: (s, r) =>
    s.available
      ? `tier 2 ${r.candidate?.opsPerSec.toFixed(0)} vs tier 1 ${r.baseline?.opsPerSec.toFixed(0)} req/s`
      : 'tier 2 not available: empty OUTPUT_DIR → re-transformed (see tier2_probe)',
  fields: (s) => ({
    ...originFields(effectiveEnv(s.options)),
    tier2_available: s.available,
    tier2_probe: s.probe,
    bucket_variants: s.bucketVariants,
    variants_primed: 1 + s.tier1Widths.length,
  }),
  teardown: (s) => stopAll(s.s3, [s.tier1, s.tier2]),
});

export const cases = [cold, coldMezzanine, tiers];
