/**
 * Output: one JSON line per case on stdout (machine-readable, stable keys), and a human
 * summary table on stderr at the end, so `npm run bench > results.jsonl` keeps only the JSON.
 * "pipeline_*" is the candidate side whatever it is (pipeline, origin over HTTP, edge);
 * the `baseline` and `candidate` keys name the two sides.
 */
import { type CaseResult, NOISE_CORES, type SideResult } from './compare.js';

/** Ratio under which the candidate counts as slower than its baseline (issue 2: 0.95×). */
export const RATIO_FLOOR = 0.95;

const otherCpu = (c: CaseResult) => Math.max(c.baseline?.otherCpuCores ?? 0, c.candidate?.otherCpuCores ?? 0);

const r = (n: number | undefined, digits: number) =>
  n === undefined || !Number.isFinite(n) ? null : Number(n.toFixed(digits));

export function ratio(c: CaseResult): number | undefined {
  if (!c.baseline || !c.candidate || c.baseline.opsPerSec === 0) return undefined;
  return c.candidate.opsPerSec / c.baseline.opsPerSec;
}

/** Baseline CPU per op ÷ candidate CPU per op: like `ratio` (> 1 = candidate cheaper), immune to stolen CPU. */
export function cpuRatio(c: CaseResult): number | undefined {
  if (!c.baseline || !c.candidate || !(c.candidate.cpuMsPerOp > 0)) return undefined;
  return c.baseline.cpuMsPerOp / c.candidate.cpuMsPerOp;
}

export function jsonLine(c: CaseResult): string {
  const b = c.baseline;
  const p = c.candidate;
  const errors = (prefix: string, s: SideResult | undefined) =>
    s?.errors ? { [`${prefix}_errors`]: s.errors, [`${prefix}_first_error`]: s.firstError ?? null } : {};
  return JSON.stringify({
    case: c.name,
    concurrency: c.concurrency,
    mode: c.mode,
    baseline: c.baselineLabel,
    candidate: c.candidateLabel,
    baseline_ops_s: r(b?.opsPerSec, 2),
    pipeline_ops_s: r(p?.opsPerSec, 2),
    ratio: r(ratio(c), 3),
    baseline_p50_ms: r(b?.p50Ms, 1),
    pipeline_p50_ms: r(p?.p50Ms, 1),
    baseline_p99_ms: r(b?.p99Ms, 1),
    pipeline_p99_ms: r(p?.p99Ms, 1),
    peak_rss_mb: r(c.peakRssMb, 0),
    baseline_peak_rss_mb: r(b?.peakRssMb, 0),
    pipeline_peak_rss_mb: r(p?.peakRssMb, 0),
    ...(c.otherPeakRssMb !== undefined ? { other_peak_rss_mb: r(c.otherPeakRssMb, 0) } : {}),
    baseline_cpu_ms_per_op: r(b?.cpuMsPerOp, 1),
    pipeline_cpu_ms_per_op: r(p?.cpuMsPerOp, 1),
    cpu_ratio: r(cpuRatio(c), 3),
    other_cpu_cores: r(otherCpu(c), 2),
    redone_rounds: c.redoneRounds,
    baseline_ops: b?.ops ?? 0,
    pipeline_ops: p?.ops ?? 0,
    baseline_output: b?.output ?? null,
    pipeline_output: p?.output ?? null,
    ...errors('baseline', b),
    ...errors('pipeline', p),
    identical_output: c.identicalOutput ?? null,
    ...(c.mismatch ? { mismatch: c.mismatch } : {}),
    ...(c.note ? { note: c.note } : {}),
    ...c.extra,
  });
}

export interface Failure {
  name: string;
  error: string;
}

export function summaryTable(results: CaseResult[], failures: Failure[], skipped: Failure[]): string {
  const fmt = (n: number | undefined, d: number) =>
    n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(d);
  const head = [
    'case',
    'conc',
    'baseline ops/s',
    'candidate ops/s',
    'ratio',
    'cpu ratio',
    'p99 B ms',
    'p99 C ms',
    'peak RSS MB',
    '',
  ];
  const rows = results.map((c) => {
    const q = ratio(c);
    const floor = c.ratioFloor === undefined ? RATIO_FLOOR : c.ratioFloor;
    const errors = (c.baseline?.errors ?? 0) + (c.candidate?.errors ?? 0);
    const noisy =
      otherCpu(c) > NOISE_CORES ? ` (noisy: other processes used ${otherCpu(c).toFixed(2)} cores)` : '';
    const verdict =
      c.mismatch !== undefined
        ? 'OUTPUT MISMATCH'
        : c.identicalOutput === false && q !== undefined && floor !== null && q < floor
          ? `BELOW ${floor} (outputs differ: check the baseline mirrors the pipeline)`
          : errors > 0
            ? `ERRORS ${errors}`
            : q === undefined || floor === null
              ? (c.note ?? '').slice(0, 80)
              : q >= floor
                ? 'ok'
                : `BELOW ${floor}`;
    return [
      c.name,
      String(c.concurrency),
      `${fmt(c.baseline?.opsPerSec, 2)} (${c.baselineLabel})`,
      `${fmt(c.candidate?.opsPerSec, 2)} (${c.candidateLabel})`,
      fmt(q, 3),
      fmt(cpuRatio(c), 3),
      fmt(c.baseline?.p99Ms, 0),
      fmt(c.candidate?.p99Ms, 0),
      fmt(c.peakRssMb, 0),
      verdict + noisy,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) =>
        i === 0 || i === 2 || i === 3 || i === head.length - 1
          ? cell.padEnd(widths[i] ?? 0)
          : cell.padStart(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd();
  const out = [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  for (const f of failures) out.push(`FAILED  ${f.name}: ${f.error}`);
  for (const s of skipped) out.push(`skipped ${s.name}: ${s.error}`);
  return out.join('\n');
}
