/**
 * Issue 13's placeholder cost: what computing the placeholder adds to an upload of the 12 MP
 * JPEG. Both sides do an upload's checks on the same file (the upload's temp file is a file too),
 * one at a time so the latencies are per upload:
 * - baseline, the checks before placeholders: the header probe (origin's probe()) and the decode
 *   check as it was, a 64×64 thumbnail thrown away;
 * - candidate, origin/uploads/check.ts as shipped: the same probe, the decode check into the
 *   100×100 RGBA sRGB thumbnail, then the ThumbHash and the mean colour from it.
 * The rest of an upload (receiving, hashing, storing, the INSERT) is the same with or without
 * placeholders, so the difference of the two sides is what placeholders add to an upload.
 * `added_ms_p50`, `added_ms_mean` (wall, per upload) and `added_cpu_ms` (CPU per upload) are
 * in the JSON line; the issue's bar is 10 ms.
 *
 * On a shared machine the load of other processes drifts between rounds by more than 10 ms per
 * upload, so setup also measures PAIRS pairs one right after the other (B C, then C B, …) and
 * reports the median of the per-pair differences (`paired_added_ms_p50`, `paired_added_cpu_ms_p50`):
 * drift slower than one pair cancels out.
 */
import sharp from 'sharp';
import { probe } from '../../origin/transform/index.js';
import { checkUpload } from '../../origin/uploads/check.js';
import type { CaseResult } from '../compare.js';
import { type BenchCase, defineCase } from '../types.js';
import { round } from './origin.js';

const MAX_INPUT_PIXELS = 50_000_000;
const PAIRS = 100;

/** The decode check before issue 13 (origin/uploads/verify.ts at e35461e). */
async function checksBefore(path: string): Promise<void> {
  const info = await probe(path, { maxInputPixels: MAX_INPUT_PIXELS });
  await sharp(path, {
    failOn: 'error',
    limitInputPixels: MAX_INPUT_PIXELS,
    sequentialRead: true,
    animated: info.frames > 1,
  })
    .resize(64, 64, { fit: 'inside' })
    .raw()
    .toBuffer();
}

function checksNow(path: string): Promise<void> {
  return checkUpload(path, { maxInputPixels: MAX_INPUT_PIXELS, maxAnimationFrames: 200 }).then(
    () => undefined,
  );
}

/** Wall and CPU (this process: sharp's threads included) ms of one call. */
async function timed(fn: () => Promise<void>): Promise<{ wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** Median over PAIRS back-to-back pairs of (with − without placeholders). */
async function paired(path: string): Promise<{ wall: number; cpu: number }> {
  for (let i = 0; i < 3; i++) {
    await checksBefore(path);
    await checksNow(path);
  }
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const first = i % 2 === 0;
    const a = await timed(() => (first ? checksBefore(path) : checksNow(path)));
    const b = await timed(() => (first ? checksNow(path) : checksBefore(path)));
    const [before, now] = first ? [a, b] : [b, a];
    wall.push(now.wall - before.wall);
    cpu.push(now.cpu - before.cpu);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

function added(r: CaseResult) {
  const b = r.baseline;
  const c = r.candidate;
  if (!b || !c) return {};
  return {
    added_ms_p50: round(c.p50Ms - b.p50Ms, 2),
    // One at a time: the mean wall time per upload is 1 / throughput.
    added_ms_mean: round(1000 / c.opsPerSec - 1000 / b.opsPerSec, 2),
    added_cpu_ms: round(c.cpuMsPerOp - b.cpuMsPerOp, 2),
  };
}

export const cases: BenchCase[] = [
  defineCase<{ path: string; paired: { wall: number; cpu: number } }>({
    name: 'upload-placeholders-12mp-jpeg',
    baselineLabel: 'upload checks',
    candidateLabel: '+ placeholder',
    // The figure is a difference in ms (bar: ≤ 10 ms), not a throughput ratio.
    ratioFloor: null,
    plan: () => ({ concurrency: 1 }),
    setup: async (ctx) => {
      const path = ctx.corpus.jpeg12mp.path;
      return { path, paired: await paired(path) };
    },
    baseline:
      ({ path }) =>
      () =>
        checksBefore(path),
    candidate:
      ({ path }) =>
      () =>
        checksNow(path),
    note: (s, r) => {
      const a = added(r);
      return (
        `placeholders add ${round(s.paired.wall, 2)} ms wall, ${round(s.paired.cpu, 2)} ms CPU per upload ` +
        `(paired medians; rounds: ${a.added_ms_p50} ms p50, ${a.added_cpu_ms} ms CPU); bar ≤ 10 ms`
      );
    },
    fields: (s, r) => ({
      ...added(r),
      paired_added_ms_p50: round(s.paired.wall, 2),
      paired_added_cpu_ms_p50: round(s.paired.cpu, 2),
      paired_pairs: PAIRS,
    }),
  }),
];
