/**
 * Runs one case fairly: setup, warm both sides up, then alternate baseline (B) and candidate
 * (C) in rounds (B C C B B C) and sum each side's rounds, so drift of the machine (thermal,
 * page cache, a neighbour's load) hits both sides equally. A round during which other
 * processes used more than NOISE_CORES of CPU is run again, at most MAX_REDOS times per case and
 * not after two noisy rounds in a row (sustained load: redoing only makes the run longer).
 */
import sharp from 'sharp';
import { type PhaseResult, runPhase, type Stats, stats } from './measure.js';
import type { BenchCase, Budget, CaseContext, Side } from './types.js';

export const ROUNDS = 'BCCBBC';
const ROUNDS_PER_SIDE = 3;
/** Other processes' CPU (average cores over a round) above which the round is redone. */
export const NOISE_CORES = 0.25;
export const MAX_REDOS = 3;

export interface SideResult extends Stats {
  peakRssMb: number;
  /** CPU time of this process (and the case's pids) per operation: insensitive to CPU stolen by others. */
  cpuMsPerOp: number;
  /** Average CPU used by processes outside the benchmark while this side ran, in cores. */
  otherCpuCores: number;
  /** What one operation produced, e.g. "webp 800x600 61.2 kB" (op sides returning images). */
  output?: string;
}

export interface CaseResult {
  name: string;
  baselineLabel: string;
  candidateLabel: string;
  concurrency: number;
  mode: 'duration' | 'count';
  baseline?: SideResult;
  candidate?: SideResult;
  /** Peak RSS over the whole case, this process plus any extra pids, MB. */
  peakRssMb: number;
  /** Peak RSS of the case's extra processes (spawned servers), MB; absent when none. */
  otherPeakRssMb?: number;
  /** Rounds run again because other processes were busy. */
  redoneRounds: number;
  note?: string;
  /** Output format or dimensions differ between the sides: the comparison is not like for like. */
  mismatch?: string;
  /** Both sides produced byte-identical images (same work, same encoder settings); undefined when not comparable. */
  identicalOutput?: boolean;
  /** Case-specific keys for the JSON line (BenchCase.fields). */
  extra?: Record<string, unknown>;
  /** BenchCase.ratioFloor, when the case sets one. */
  ratioFloor?: number | null;
}

const MB = 1024 * 1024;
const log = (s: string) => process.stderr.write(`${s}\n`);
const otherCores = (p: PhaseResult) => (p.elapsedMs > 0 ? (p.otherCpuSeconds * 1000) / p.elapsedMs : 0);

/** The encoded image an op returned (a Buffer or { data: Buffer }), if any. */
function imageBytes(result: unknown): Buffer | undefined {
  if (Buffer.isBuffer(result)) return result;
  const data = result && typeof result === 'object' ? (result as { data?: unknown }).data : undefined;
  return Buffer.isBuffer(data) ? data : undefined;
}

/** "webp 800x600 61.2 kB" for an encoded image. */
async function describeOutput(data: Buffer | undefined): Promise<string | undefined> {
  if (!data) return undefined;
  try {
    const m = await sharp(data).metadata();
    const alpha = m.hasAlpha ? ' alpha' : '';
    const format = m.format === 'heif' && m.compression === 'av1' ? 'avif' : m.format;
    return `${format} ${m.width}x${m.height}${alpha} ${(data.length / 1024).toFixed(1)} kB`;
  } catch {
    return `${data.length} bytes`;
  }
}

function merge(parts: PhaseResult[]): PhaseResult {
  return parts.reduce((a, b) => ({
    ops: a.ops + b.ops,
    errors: a.errors + b.errors,
    elapsedMs: a.elapsedMs + b.elapsedMs,
    latenciesMs: a.latenciesMs.concat(b.latenciesMs),
    peakRssSelf: Math.max(a.peakRssSelf, b.peakRssSelf),
    peakRssOthers: Math.max(a.peakRssOthers, b.peakRssOthers),
    ourCpuSeconds: a.ourCpuSeconds + b.ourCpuSeconds,
    otherCpuSeconds: a.otherCpuSeconds + b.otherCpuSeconds,
    ...((a.firstError ?? b.firstError) !== undefined ? { firstError: a.firstError ?? b.firstError } : {}),
  }));
}

function sideResult(parts: PhaseResult[], output: string | undefined): SideResult | undefined {
  if (parts.length === 0) return undefined;
  const m = merge(parts);
  return {
    ...stats(m),
    peakRssMb: (m.peakRssSelf + m.peakRssOthers) / MB,
    cpuMsPerOp: m.ops > 0 ? (m.ourCpuSeconds * 1000) / m.ops : Number.NaN,
    otherCpuCores: otherCores(m),
    ...(output ? { output } : {}),
  };
}

/** Same format and dimensions on both sides, or a description of the difference. */
function compareOutputs(b: string | undefined, c: string | undefined): string | undefined {
  if (!b || !c) return undefined;
  const shape = (s: string) => s.replace(/ [\d.]+ kB$/, '');
  return shape(b) === shape(c) ? undefined : `baseline ${b} vs candidate ${c}`;
}

export async function runCase(c: BenchCase, ctx: CaseContext): Promise<CaseResult> {
  const plan = c.plan?.(ctx) ?? {};
  const concurrency = plan.concurrency ?? ctx.concurrency;
  const mode = plan.count !== undefined ? 'count' : 'duration';
  const round: Budget =
    plan.count !== undefined
      ? { concurrency, count: Math.max(1, Math.ceil(plan.count / ROUNDS_PER_SIDE)) }
      : { concurrency, durationMs: (plan.durationMs ?? ctx.durationMs) / ROUNDS_PER_SIDE };
  const warmup: Budget = { concurrency, count: plan.warmupCount ?? Math.max(2, concurrency) };

  const state = await c.setup({ ...ctx, concurrency });
  try {
    const pids = c.pids?.(state) ?? [];
    const sides: Record<'B' | 'C', Side | undefined> = { B: c.baseline?.(state), C: c.candidate(state) };
    const outputs: Partial<Record<'B' | 'C', string>> = {};
    const bytes: Partial<Record<'B' | 'C', Buffer>> = {};
    for (const key of ['B', 'C'] as const) {
      const side = sides[key];
      if (!side) continue;
      if (typeof side === 'function') {
        bytes[key] = imageBytes(await side());
        outputs[key] = await describeOutput(bytes[key]);
      }
      await runPhase(side, warmup, pids);
    }

    const phases: Record<'B' | 'C', PhaseResult[]> = { B: [], C: [] };
    let redone = 0;
    let noisyInARow = 0;
    for (const key of ROUNDS) {
      const k = key as 'B' | 'C';
      const side = sides[k];
      if (!side) continue;
      for (;;) {
        const r = await runPhase(side, round, pids);
        const s = stats(r);
        const noisy = otherCores(r) > NOISE_CORES;
        noisyInARow = noisy ? noisyInARow + 1 : 0;
        const redo = noisy && redone < MAX_REDOS && noisyInARow < 2;
        log(
          `  ${k} ${phases[k].length + 1}/${ROUNDS_PER_SIDE}: ${s.ops} ops in ${(r.elapsedMs / 1000).toFixed(1)} s` +
            ` = ${s.opsPerSec.toFixed(2)}/s, p99 ${s.p99Ms.toFixed(0)} ms, rss ${(r.peakRssSelf / MB).toFixed(0)} MB` +
            `, other processes ${otherCores(r).toFixed(2)} cores${redo ? ' → noisy, again' : ''}`,
        );
        if (!redo) {
          phases[k].push(r);
          break;
        }
        redone++;
      }
    }

    const baseline = sideResult(phases.B, outputs.B);
    const candidate = sideResult(phases.C, outputs.C);
    const all = [...phases.B, ...phases.C];
    const result: CaseResult = {
      name: c.name,
      baselineLabel: c.baselineLabel ?? 'raw sharp',
      candidateLabel: c.candidateLabel ?? 'pipeline',
      concurrency,
      mode,
      peakRssMb: Math.max(0, ...all.map((p) => p.peakRssSelf + p.peakRssOthers)) / MB,
      redoneRounds: redone,
    };
    if (c.ratioFloor !== undefined) result.ratioFloor = c.ratioFloor;
    if (baseline) result.baseline = baseline;
    if (candidate) result.candidate = candidate;
    if (pids.length > 0) result.otherPeakRssMb = Math.max(0, ...all.map((p) => p.peakRssOthers)) / MB;
    const mismatch = compareOutputs(outputs.B, outputs.C);
    if (mismatch) result.mismatch = mismatch;
    if (bytes.B && bytes.C) result.identicalOutput = bytes.B.equals(bytes.C);
    const note = c.note?.(state, result);
    if (note) result.note = note;
    const extra = c.fields?.(state, result);
    if (extra) result.extra = extra;
    return result;
  } finally {
    await c.teardown?.(state);
  }
}
