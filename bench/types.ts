/**
 * Shared shapes of the benchmark harness. A case prepares some state once, then exposes a
 * baseline side (the reference: raw sharp, or the origin for edge cases) and a candidate side
 * (what imgedge ships). The runner warms both up and alternates them in rounds.
 */
import type { CaseResult } from './compare.js';
import type { Corpus } from './corpus.js';

/** One operation; the harness runs many of them at a fixed concurrency. */
export type Op = () => Promise<unknown>;

/**
 * A side that generates its own load (e.g. autocannon against a URL) and returns what it
 * measured. Use this when one operation is not a function call, such as an HTTP request.
 */
export interface LoadSide {
  kind: 'load';
  run(budget: Budget): Promise<Measurement>;
}

export type Side = Op | LoadSide;

/** How much work one phase does: a time window or a fixed number of operations. */
export interface Budget {
  concurrency: number;
  /** Stop starting new operations after this many ms (in-flight ones finish and count). */
  durationMs?: number;
  /** Run exactly this many operations. Takes precedence over durationMs. */
  count?: number;
}

/** What one phase measured. Latencies are raw samples so rounds can be merged exactly. */
export interface Measurement {
  ops: number;
  errors: number;
  elapsedMs: number;
  latenciesMs: number[];
  /** First error message seen, if any. */
  firstError?: string;
}

export interface CaseContext {
  corpus: Corpus;
  /** The concurrency asked for on the command line (default 4, the libuv pool size). */
  concurrency: number;
  /** Measured time per side, in ms, for duration-based cases (split across rounds). */
  durationMs: number;
}

/** How a case wants to be measured; the runner turns this into per-round budgets. */
export interface CasePlan {
  /** Operations per side in total (split across rounds) instead of a time window. */
  count?: number;
  /** Override the command-line concurrency (e.g. 16 for a memory-pressure case). */
  concurrency?: number;
  /** Override the per-side measured time, in ms. */
  durationMs?: number;
  /** Warm-up per side: operations (default: one per concurrency slot, at least 2). */
  warmupCount?: number;
}

export interface BenchCase<S = unknown> {
  name: string;
  /** Labels for the summary table; default 'raw sharp' and 'pipeline'. */
  baselineLabel?: string;
  candidateLabel?: string;
  /**
   * Ratio under which the summary table flags the case (default RATIO_FLOOR, 0.95: issue 2's
   * bar; issue 3's origin-over-HTTP bar is 0.9); null when the ratio is informational (e.g. two
   * settings of the same system).
   */
  ratioFloor?: number | null;
  plan?(ctx: CaseContext): CasePlan;
  /** Return a reason to skip (e.g. a server that cannot start here); undefined to run. */
  skip?(ctx: CaseContext): Promise<string | undefined>;
  setup(ctx: CaseContext): Promise<S>;
  /**
   * The two sides. Return undefined (or omit baseline) for a one-sided case, e.g. a warm-variant
   * req/s figure, or while the system under test is missing; that side is reported as null.
   */
  baseline?(state: S): Side | undefined;
  candidate(state: S): Side | undefined;
  /**
   * A remark for the report (e.g. "pipeline not found", or a one-sided case's figure); it is shown
   * in the summary table when the case has no ratio. Called after the rounds, before teardown.
   */
  note?(state: S, result: CaseResult): string | undefined;
  /**
   * Extra keys appended to the case's JSON line (after the standard ones), e.g. `req_s` and
   * `origin_peak_rss_mb` for one-sided cases. Called after the rounds, before teardown.
   */
  fields?(state: S, result: CaseResult): Record<string, unknown>;
  /** Extra process ids (a spawned origin, workerd) whose RSS counts towards the peak. */
  pids?(state: S): number[];
  teardown?(state: S): Promise<void>;
}

/**
 * Define a case with its state type inferred from setup(); the result is erased to
 * BenchCase<unknown> so cases of different state types can share one array.
 */
export function defineCase<S>(c: BenchCase<S>): BenchCase {
  return c as unknown as BenchCase;
}
