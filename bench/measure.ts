/**
 * Runs one operation at a fixed concurrency for a time window or a fixed count and records
 * every latency. Errors stop the run: a benchmark that silently counts failures lies.
 */
import { startCpuWatch } from './cpu.js';
import { startRssSampler } from './rss.js';
import type { Budget, Measurement, Op, Side } from './types.js';

export async function measure(op: Op, budget: Budget): Promise<Measurement> {
  const { concurrency, count, durationMs } = budget;
  if (count === undefined && durationMs === undefined) throw new Error('budget needs count or durationMs');
  if (!(concurrency >= 1)) throw new Error(`bad concurrency ${concurrency}`);
  const latenciesMs: number[] = [];
  let started = 0;
  let failure: unknown;
  const t0 = performance.now();
  const deadline = durationMs === undefined ? Number.POSITIVE_INFINITY : t0 + durationMs;
  const more = () =>
    failure === undefined && (count !== undefined ? started < count : performance.now() < deadline);

  const worker = async () => {
    while (more()) {
      started++;
      const s = performance.now();
      try {
        await op();
      } catch (err) {
        failure ??= err;
        return;
      }
      latenciesMs.push(performance.now() - s);
    }
  };
  const lanes = Math.min(concurrency, count ?? concurrency);
  await Promise.all(Array.from({ length: lanes }, worker));
  const elapsedMs = performance.now() - t0;
  if (failure !== undefined) throw failure;
  return { ops: latenciesMs.length, errors: 0, elapsedMs, latenciesMs };
}

/** Nearest-rank percentile of raw samples, in the samples' unit; NaN when empty. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

export interface PhaseResult extends Measurement {
  /** Peak RSS of this process during the phase, bytes. */
  peakRssSelf: number;
  /** Peak RSS of extra processes during the phase, summed, bytes. */
  peakRssOthers: number;
  /** CPU of this process (plus pids) during the phase, core-seconds. */
  ourCpuSeconds: number;
  /** CPU of processes outside the benchmark during the phase, core-seconds. */
  otherCpuSeconds: number;
}

/** Run one side (an op, or a self-driving load) under the RSS sampler. */
export async function runPhase(
  side: Side,
  budget: Budget,
  pids: readonly number[] = [],
): Promise<PhaseResult> {
  const sampler = startRssSampler(pids);
  const cpu = startCpuWatch(pids);
  let m: Measurement;
  try {
    m = typeof side === 'function' ? await measure(side, budget) : await side.run(budget);
  } catch (err) {
    sampler.stop();
    throw err;
  }
  const peak = sampler.stop();
  const others = Object.values(peak.others).reduce((a, b) => a + b, 0);
  const used = cpu.stop();
  const seconds = m.elapsedMs / 1000;
  return {
    ...m,
    peakRssSelf: peak.self,
    peakRssOthers: others,
    ourCpuSeconds: used.ours * seconds,
    otherCpuSeconds: used.other * seconds,
  };
}

export interface Stats {
  ops: number;
  errors: number;
  firstError?: string;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export function stats(m: Measurement): Stats {
  return {
    ops: m.ops,
    errors: m.errors,
    ...(m.firstError !== undefined ? { firstError: m.firstError } : {}),
    opsPerSec: m.elapsedMs > 0 ? (m.ops * 1000) / m.elapsedMs : 0,
    p50Ms: percentile(m.latenciesMs, 50),
    p99Ms: percentile(m.latenciesMs, 99),
  };
}
