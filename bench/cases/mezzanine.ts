/**
 * Issue 15's cases: cold variants through the real origin with mezzanines on (MEZZANINES=true),
 * against raw sharp from the original at the same concurrency (cases/transform.ts's chain).
 *
 * - mezzanine-12mp-800w-webp-cold: the corpus 12 MP JPEG, distinct widths 800, 801… per side (each
 *   a cold miss, all served from the mezzanine). Bar: ratio ≥ 2.0. Also:
 *   - CPU per op (origin process + this one) over the encoder's own time for those outputs
 *     (`encoder_ms`: raw pixels → webp, same settings, widths sampled over the range the sides ask
 *     for, at the case's concurrency; `encoder_ms_sequential` one at a time);
 *   - `ratio_ceiling`, raw sharp's CPU per op over that encoder time: no mezzanine can beat it,
 *     since the variant still has to be encoded;
 *   - where CPU goes outside libvips, per op over 4 × concurrency more cold variants (widths apart
 *     from the sides'): `origin_main_thread_ms`, the origin's JS thread (HTTP, database, file I/O,
 *     metrics), and `client_ms`, this process's HTTP client; `ratio_ceiling_with_request_path`,
 *     the ceiling once those are paid too;
 *   - SSIM of the w=800 output against raw sharp's, both as encoded (`ssim_encoded`: two lossy
 *     encodes of slightly different pixels) and before the lossy encode (`ssim_pixels`: the same
 *     options with f=png, lossless).
 * - mezzanine-4mp-alpha-800w-webp-cold: the same for the corpus 2000×2000 RGBA PNG (uploaded to
 *   the origin through the API). Bar: ≥ 3.0.
 * - mezzanine-table: one-sided; its setup measures every cell, widths 320/640/1280/1920 × webp/avif/
 *   jpeg for both sources: origin vs raw sharp, 2 × concurrency distinct variants per side
 *   (ops/s ratio, one pass: noisy), SSIM as above, whether the mezzanine served it; and the
 *   mezzanine's own cost (CPU ms to make, bytes) with the number of cold 800w webp variants after
 *   which it has paid for itself (make CPU ÷ CPU saved per variant). The table goes to stderr.
 */
import { readFileSync } from 'node:fs';
import sharp, { type Sharp } from 'sharp';
import { makeMezzanine } from '../../origin/mezzanine/make.js';
import { mezzanineLevel } from '../../origin/mezzanine/policy.js';
import type { OutputFormat } from '../../shared/options/types.js';
import type { CorpusImage } from '../corpus.js';
import { startCpuWatch } from '../cpu.js';
import { measure } from '../measure.js';
import { get, type Origin, startOrigin, uploadImage } from '../origin-process.js';
import { ENCODER_DEFAULTS, transform } from '../pipeline.js';
import { ssim } from '../ssim.js';
import { defineCase, type Op } from '../types.js';
import { round } from './origin.js';
import { rawSharp, toWidth } from './transform.js';

const log = (s: string) => process.stderr.write(`${s}\n`);

/** Upload through the API; the image id. */
async function uploadTo(origin: Origin, source: CorpusImage): Promise<string> {
  return (await uploadImage(origin.url, source.bytes, `image/${source.format}`)).id;
}

function variantUrl(origin: Origin, id: string, w: number, f: string): string {
  return `${origin.url}/internal/v1/variants/w=${w},f=${f}/${id}`;
}

/** One cold variant per call, widths from `first` up: must be a 200 miss. */
function coldOp(origin: Origin, id: string, first: number, f: string): Op {
  let w = first;
  return async () => {
    const url = variantUrl(origin, id, w++, f);
    const res = await get(url, origin.headers);
    if (res.status !== 200)
      throw new Error(`${url}: HTTP ${res.status} ${res.body.toString().slice(0, 200)}`);
    if (!(res.headers.get('server-timing') ?? '').includes('cache;desc=miss'))
      throw new Error(`${url}: not a miss`);
    return res.body;
  };
}

const WHITE = { r: 255, g: 255, b: 255, alpha: 1 };

/** The encoder, after the pipeline's flatten on white for jpeg output (background.ts). */
function encoderFor(f: OutputFormat) {
  return (image: Sharp) =>
    (f === 'jpeg' ? image.flatten({ background: WHITE }) : image).toFormat(
      f,
      ENCODER_DEFAULTS[f as 'webp' | 'avif' | 'jpeg'],
    );
}

function rawOp(source: CorpusImage, first: number, f: OutputFormat): Op {
  let w = first;
  return () => rawSharp(source, toWidth(w++), encoderFor(f));
}

/**
 * CPU ms per op of the encoder alone for these outputs (raw pixels of each width's resize →
 * format), taken in turn: `sequential`, one at a time (median of 5 rounds), and `loaded`,
 * `concurrency` at a time as the case runs its sides (two cores shared by more threads cost every
 * op more CPU: caches, switches).
 */
async function encoderMs(source: CorpusImage, widths: number[], f: OutputFormat, concurrency: number) {
  const pixels = await Promise.all(
    widths.map((width) =>
      sharp(source.bytes).autoOrient().resize({ width }).raw().toBuffer({ resolveWithObject: true }),
    ),
  );
  let next = 0;
  const encode = () => {
    const { data, info } = pixels[next++ % pixels.length]!;
    return encoderFor(f)(sharp(data, { raw: info })).toBuffer();
  };
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = process.cpuUsage();
    for (const _ of pixels) await encode();
    const u = process.cpuUsage(t);
    samples.push((u.user + u.system) / 1000 / pixels.length);
  }
  const loaded = await rate(encode, concurrency, 2 * pixels.length * concurrency, []);
  return { sequential: samples.sort((a, b) => a - b)[2]!, loaded: loaded.cpuMsPerOp };
}

/** CPU ns of a process's main thread so far (schedstat: nanoseconds, where stat counts 10 ms ticks). */
function mainThreadNs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]);
}

/**
 * CPU ms per cold variant outside libvips: the origin's main thread (HTTP, routing, the database,
 * file I/O, metrics: all of its JS) and this process's HTTP client; `count` variants at
 * `concurrency`, widths from `first`.
 */
async function requestPathMs(origin: Origin, id: string, first: number, concurrency: number, count: number) {
  const main = mainThreadNs(origin.pid);
  const self = process.cpuUsage();
  await measure(coldOp(origin, id, first, 'webp'), { concurrency, count });
  const client = process.cpuUsage(self);
  return {
    originMain: (mainThreadNs(origin.pid) - main) / 1e6 / count,
    client: (client.user + client.system) / 1000 / count,
  };
}

/** SSIM of the origin's w×f variant against raw sharp's, as encoded and before the lossy encode. */
async function similarity(origin: Origin, id: string, source: CorpusImage, w: number, f: OutputFormat) {
  const fetchVariant = async (format: string) => {
    const res = await get(variantUrl(origin, id, w, format), origin.headers);
    if (res.status !== 200) throw new Error(`similarity ${w} ${format}: HTTP ${res.status}`);
    return res.body;
  };
  const [encoded, pixels] = await Promise.all([fetchVariant(f), fetchVariant('png')]);
  const [rawEncoded, rawPixels] = await Promise.all([
    rawSharp(source, toWidth(w), encoderFor(f)),
    rawSharp(source, toWidth(w), (image) => image.png(ENCODER_DEFAULTS.png)),
  ]);
  return { encoded: await ssim(encoded, rawEncoded), pixels: await ssim(pixels, rawPixels) };
}

/** 8 widths spread evenly over [first, first + span). */
function sampleWidths(first: number, span: number): number[] {
  return Array.from({ length: 8 }, (_, i) => first + Math.floor((i * span) / 8));
}

const factsOf = (s: CorpusImage) => ({
  width: s.width,
  height: s.height,
  frames: 1,
  hasAlpha: s.hasAlpha,
  format: s.format,
});

interface ColdState {
  source: CorpusImage;
  origin: Origin;
  id: string;
  encoderMs: { sequential: number; loaded: number };
  requestPath: { originMain: number; client: number };
  ssim: { encoded: number; pixels: number };
}

function coldCase(
  name: string,
  pick: (c: { jpeg12mp: CorpusImage; png4mpAlpha: CorpusImage }) => CorpusImage,
  target: number,
) {
  return defineCase<ColdState>({
    name,
    baselineLabel: 'raw sharp (original)',
    candidateLabel: 'origin + mezzanine',
    ratioFloor: target,
    plan: (ctx) => ({ count: 16 * ctx.concurrency }),
    setup: async (ctx) => {
      const source = pick(ctx.corpus);
      const origin = await startOrigin(ctx.corpus.jpeg12mp.bytes, {
        label: name,
        env: { TRANSFORM_CONCURRENCY: String(ctx.concurrency), MEZZANINES: 'true' },
      });
      try {
        const id = source === ctx.corpus.jpeg12mp ? origin.imageId : await uploadTo(origin, source);
        // Distinct from the measured widths (800…): made here (lazily, if the upload's background one is not done).
        const ssimFigures = await similarity(origin, id, source, 799, 'webp');
        return {
          source,
          origin,
          id,
          // The sides ask for one width per op from 800 up: setup, warm-up and 16 × concurrency ops.
          encoderMs: await encoderMs(
            source,
            sampleWidths(800, 18 * ctx.concurrency),
            'webp',
            ctx.concurrency,
          ),
          // Above the sides' widths (800 + 18 × concurrency at most), below the 2048 level's.
          requestPath: await requestPathMs(origin, id, 900, ctx.concurrency, 4 * ctx.concurrency),
          ssim: ssimFigures,
        };
      } catch (err) {
        await origin.stop();
        throw err;
      }
    },
    baseline: (s) => rawOp(s.source, 800, 'webp'),
    candidate: (s) => coldOp(s.origin, s.id, 800, 'webp'),
    pids: (s) => [s.origin.pid],
    fields: (s, r) => ({
      target_ratio: target,
      encoder_ms: round(s.encoderMs.loaded),
      encoder_ms_sequential: round(s.encoderMs.sequential),
      // What any decode-side change could reach: raw sharp's CPU per op over the encode's, both loaded.
      ratio_ceiling: round((r.baseline?.cpuMsPerOp ?? Number.NaN) / s.encoderMs.loaded, 2),
      origin_main_thread_ms: round(s.requestPath.originMain),
      client_ms: round(s.requestPath.client),
      ratio_ceiling_with_request_path: round(
        (r.baseline?.cpuMsPerOp ?? Number.NaN) /
          (s.encoderMs.loaded + s.requestPath.originMain + s.requestPath.client),
        2,
      ),
      candidate_cpu_over_encoder: round((r.candidate?.cpuMsPerOp ?? Number.NaN) / s.encoderMs.loaded, 2),
      ssim_encoded: round(s.ssim.encoded, 4),
      ssim_pixels: round(s.ssim.pixels, 4),
    }),
    note: (s, r) =>
      `CPU/op ${r.candidate?.cpuMsPerOp.toFixed(0)} ms = ${((r.candidate?.cpuMsPerOp ?? 0) / s.encoderMs.loaded).toFixed(2)}× encoder (${s.encoderMs.loaded.toFixed(0)} ms at ${r.concurrency} in flight, ${s.encoderMs.sequential.toFixed(0)} alone, same widths); ` +
      `origin main thread ${s.requestPath.originMain.toFixed(1)} ms, client ${s.requestPath.client.toFixed(1)} ms; ` +
      `SSIM pixels ${s.ssim.pixels.toFixed(4)}, encoded ${s.ssim.encoded.toFixed(4)}`,
    teardown: (s) => s.origin.stop(),
  });
}

interface Cell {
  source: string;
  w: number;
  f: OutputFormat;
  /** The mezzanine level it was made from (undefined: the original). */
  mezzanine: number | undefined;
  ratio: number;
  ssimEncoded: number;
  ssimPixels: number;
}

interface TableState {
  origin: Origin;
  cells: Cell[];
  costs: Record<string, unknown>[];
}

/** ops/s of `op` at `concurrency`, `count` ops; and CPU ms per op of this process + `pids`. */
async function rate(op: Op, concurrency: number, count: number, pids: number[]) {
  const watch = startCpuWatch(pids);
  const m = await measure(op, { concurrency, count });
  const cpu = watch.stop();
  return { opsPerSec: (m.ops * 1000) / m.elapsedMs, cpuMsPerOp: (cpu.ours * m.elapsedMs) / m.ops };
}

const WIDTHS = [320, 640, 1280, 1920];
const FORMATS: OutputFormat[] = ['webp', 'avif', 'jpeg'];

const table = defineCase<TableState>({
  name: 'mezzanine-table',
  baselineLabel: 'none',
  candidateLabel: 'origin warm',
  ratioFloor: null,
  plan: () => ({ count: 4, warmupCount: 1 }),
  setup: async (ctx) => {
    const origin = await startOrigin(ctx.corpus.jpeg12mp.bytes, {
      label: 'table',
      env: { TRANSFORM_CONCURRENCY: String(ctx.concurrency), MEZZANINES: 'true' },
    });
    try {
      const cells: Cell[] = [];
      const costs: Record<string, unknown>[] = [];
      const n = 2 * ctx.concurrency;
      for (const [label, source] of [
        ['12 MP JPEG', ctx.corpus.jpeg12mp],
        ['4 MP alpha PNG', ctx.corpus.png4mpAlpha],
      ] as const) {
        const id = source === ctx.corpus.jpeg12mp ? origin.imageId : await uploadTo(origin, source);
        // The seed image predates the mezzanine setting: its levels are made lazily here, by one
        // variant that uses them, so no measured cell pays for that.
        await coldOp(origin, id, 797, 'webp')();
        // The AVIF encoder processes start on first use (one per AVIF slot, two at concurrency 4):
        // started now by two AVIFs at once, so the first AVIF cell does not time their start-up.
        await Promise.all([coldOp(origin, id, 795, 'avif')(), coldOp(origin, id, 796, 'avif')()]);
        // The mezzanine's cost and what one cold 800w webp saves: CPU ms in this process, one at a
        // time (median of 5), with the pipeline's own transform() from the original and from it.
        const cpuOf = async (op: () => Promise<unknown>) => {
          const samples: number[] = [];
          for (let i = 0; i < 5; i++) {
            const t = process.cpuUsage();
            await op();
            const u = process.cpuUsage(t);
            samples.push((u.user + u.system) / 1000);
          }
          return samples.sort((x, y) => x - y)[2]!;
        };
        const levels = await makeMezzanine(source.bytes, factsOf(source), 50_000_000);
        const level = mezzanineLevel(factsOf(source), { w: 800 });
        const mezzanine = levels?.find((l) => l.level === level?.level)?.data;
        if (!levels || !mezzanine) throw new Error(`${label}: no mezzanine for w=800`);
        const makeMs = await cpuOf(() => makeMezzanine(source.bytes, factsOf(source), 50_000_000));
        const options = { w: 800, f: 'webp' as const };
        const fromOriginal = await cpuOf(() => transform({ input: source.bytes, options }));
        const planAs = { width: source.width, height: source.height };
        const fromMezzanine = await cpuOf(() => transform({ input: mezzanine, options, planAs }));
        const saved = fromOriginal - fromMezzanine;
        costs.push({
          source: label,
          mezzanine_kb: levels.map((l) => `${l.level}: ${round(l.data.length / 1024, 0)}`).join(', '),
          make_cpu_ms: round(makeMs, 0),
          cold_800w_webp_cpu_ms_original: round(fromOriginal, 0),
          cold_800w_webp_cpu_ms_mezzanine: round(fromMezzanine, 0),
          pays_for_itself_after_variants: saved > 0 ? Math.ceil(makeMs / saved) : null,
        });
        for (const w of WIDTHS) {
          for (const f of FORMATS) {
            const count = f === 'avif' ? ctx.concurrency : n;
            const base = await rate(rawOp(source, w + 1, f), ctx.concurrency, count, []);
            const cand = await rate(coldOp(origin, id, w + 1, f), ctx.concurrency, count, [origin.pid]);
            const s = await similarity(origin, id, source, w, f);
            const cell: Cell = {
              source: label,
              w,
              f,
              mezzanine: mezzanineLevel(factsOf(source), { w, f })?.level,
              ratio: cand.opsPerSec / base.opsPerSec,
              ssimEncoded: s.encoded,
              ssimPixels: s.pixels,
            };
            cells.push(cell);
            log(
              `  ${label} ${w}w ${f}: ${cell.mezzanine ? `mezzanine ${cell.mezzanine}` : 'original'} ×${cell.ratio.toFixed(2)} SSIM px ${s.pixels.toFixed(4)} enc ${s.encoded.toFixed(4)}`,
            );
          }
        }
      }
      log(
        '\n| source | width | format | served from | ops/s ratio | SSIM pixels | SSIM encoded |\n| --- | ---: | --- | --- | ---: | ---: | ---: |',
      );
      for (const c of cells)
        log(
          `| ${c.source} | ${c.w} | ${c.f} | ${c.mezzanine ? `mezzanine ${c.mezzanine}` : 'original'} | ${c.ratio.toFixed(2)} | ${c.ssimPixels.toFixed(4)} | ${c.ssimEncoded.toFixed(4)} |`,
        );
      for (const c of costs) log(JSON.stringify(c));
      return { origin, cells, costs };
    } catch (err) {
      await origin.stop();
      throw err;
    }
  },
  candidate: (s) => () => get(variantUrl(s.origin, s.origin.imageId, 320, 'webp'), s.origin.headers),
  pids: (s) => [s.origin.pid],
  note: (s) => {
    const worst = Math.min(...s.cells.map((c) => c.ssimPixels));
    return `${s.cells.length} cells, min SSIM pixels ${worst.toFixed(4)}; table on stderr`;
  },
  fields: (s) => ({
    cells: s.cells.map((c) => ({
      ...c,
      ratio: round(c.ratio, 2),
      ssimEncoded: round(c.ssimEncoded, 4),
      ssimPixels: round(c.ssimPixels, 4),
    })),
    mezzanine_costs: s.costs,
  }),
  teardown: (s) => s.origin.stop(),
});

export const cases = [
  coldCase('mezzanine-12mp-800w-webp-cold', (c) => c.jpeg12mp, 2.0),
  coldCase('mezzanine-4mp-alpha-800w-webp-cold', (c) => c.png4mpAlpha, 3.0),
  table,
];
