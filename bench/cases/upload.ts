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
 */
import sharp from 'sharp';
import { probe } from '../../origin/transform/index.js';
import { checkUpload } from '../../origin/uploads/check.js';
import type { CaseResult } from '../compare.js';
import { type BenchCase, defineCase } from '../types.js';
import { round } from './origin.js';

const MAX_INPUT_PIXELS = 50_000_000;

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
  defineCase<{ path: string }>({
    name: 'upload-placeholders-12mp-jpeg',
    baselineLabel: 'upload checks',
    candidateLabel: '+ placeholder',
    // The figure is a difference in ms (bar: ≤ 10 ms), not a throughput ratio.
    ratioFloor: null,
    plan: () => ({ concurrency: 1 }),
    setup: async (ctx) => ({ path: ctx.corpus.jpeg12mp.path }),
    baseline:
      ({ path }) =>
      () =>
        checksBefore(path),
    candidate:
      ({ path }) =>
      async () => {
        await checkUpload(path, { maxInputPixels: MAX_INPUT_PIXELS, maxAnimationFrames: 200 });
      },
    note: (_s, r) => {
      const a = added(r);
      return `placeholders add ${a.added_ms_p50} ms p50, ${a.added_ms_mean} ms mean, ${a.added_cpu_ms} ms CPU per upload (bar ≤ 10 ms)`;
    },
    fields: (_s, r) => added(r),
  }),
];
