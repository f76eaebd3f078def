/**
 * Encoder settings by measurement: `npx tsx bench/encoders.ts` (add `--json` for one JSON line
 * per row, `--only animation` for one reference). For candidate settings of each output format it prints the encode time, the output
 * size and two quality figures against the uncompressed reference pixels:
 *   - SSIM on luma (BT.601 Y, 8×8 windows, stride 4), the structure a viewer notices;
 *   - PSNR over all RGB channels, which also sees chroma loss (4:2:0 vs 4:4:4) that luma SSIM misses.
 * The chosen defaults live in origin/transform/encoders.ts, which cites these figures.
 *
 * References: a 12 MP photo-like scene (gradients, shapes, texture, grain; generated, no
 * downloads) resized to 800 px and 2000 px wide — the sizes an image CDN actually encodes —
 * plus an 800×800 graphic with alpha (PNG/WebP-with-alpha sources) and a 4-frame 400×300
 * animation (GIF output). Encode time is the encoder alone (raw pixels in, bytes out), the median of
 * up to three runs after a warm-up, one image at a time, with sharp's defaults (libvips cache off):
 * wall time, and the process's CPU time, which stays meaningful when other work shares the machine
 * (compare the two: CPU ≈ wall means the encode ran undisturbed on one thread).
 */
import sharp, { type Sharp } from 'sharp';
import { graphicAlphaPng, photoRaw } from '../test/support/images.js';
import { ssimRaw } from './ssim.js';

type Format = 'webp' | 'avif' | 'jpeg' | 'png' | 'gif';

interface Reference {
  name: string;
  data: Buffer;
  width: number;
  /** Height of one frame. */
  height: number;
  channels: 3 | 4;
  pages: number;
  /** The reference as it should look: flattened on white, RGB, all frames stacked. */
  flat: Buffer;
}

interface Candidate {
  format: Format;
  label: string;
  options: Record<string, unknown>;
}

interface Row {
  image: string;
  format: Format;
  setting: string;
  /** Median wall time of the encode. */
  ms: number;
  /** Median CPU time of the process during the encode (user + system, all threads). */
  cpuMs: number;
  bytes: number;
  bpp: number;
  ssim: number;
  psnr: number;
}

const JSON_OUTPUT = process.argv.includes('--json');
/** `--only <prefix>`: measure only the references whose name starts with it (photo, graphic, animation). */
const ONLY = process.argv[process.argv.indexOf('--only') + 1];
const SELECTED = process.argv.includes('--only') && ONLY !== undefined ? ONLY : '';

// ---------------------------------------------------------------------------------------------
// Quality metrics

function luma(rgb: Buffer, pixels: number): Float32Array {
  const y = new Float32Array(pixels);
  for (let i = 0; i < pixels; i++) {
    y[i] = 0.299 * (rgb[i * 3] ?? 0) + 0.587 * (rgb[i * 3 + 1] ?? 0) + 0.114 * (rgb[i * 3 + 2] ?? 0);
  }
  return y;
}

/** Mean SSIM of the luma planes, 8×8 windows every 4 pixels (Wang et al. 2004 constants). */
export function ssimLuma(a: Buffer, b: Buffer, width: number, height: number): number {
  return ssimRaw(luma(a, width * height), luma(b, width * height), width, height, 1);
}

/** PSNR in dB over every RGB sample. */
export function psnr(a: Buffer, b: Buffer): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    se += d * d;
  }
  const mse = se / a.length;
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / mse);
}

/** Any image → RGB flattened on white, frames stacked: what both metrics compare. */
async function flatten(input: Sharp): Promise<Buffer> {
  return input.flatten({ background: '#ffffff' }).removeAlpha().toColourspace('srgb').raw().toBuffer();
}

// ---------------------------------------------------------------------------------------------
// References

async function reference(
  name: string,
  data: Buffer,
  info: { width: number; height: number; channels: 3 | 4 },
  pages = 1,
): Promise<Reference> {
  const raw = { width: info.width, height: info.height * pages, channels: info.channels };
  const flat = await flatten(sharp(data, { raw }));
  return { name, data, width: info.width, height: info.height, channels: info.channels, pages, flat };
}

async function photoReferences(): Promise<Reference[]> {
  const photo = await photoRaw(4000, 3000);
  const source = () => sharp(photo.data, { raw: { width: 4000, height: 3000, channels: 3 } });
  const refs: Reference[] = [];
  for (const width of [800, 2000]) {
    const { data, info } = await source().resize(width).raw().toBuffer({ resolveWithObject: true });
    refs.push(await reference(`photo ${info.width}×${info.height}`, data, { ...info, channels: 3 }));
  }
  // Animation: four 400×300 frames panning across the 800 px version of the photo.
  const { data: small, info } = await source().resize(800).raw().toBuffer({ resolveWithObject: true });
  const frames = await Promise.all(
    [0, 120, 240, 360].map((left) =>
      sharp(small, { raw: { width: info.width, height: info.height, channels: 3 } })
        .extract({ left, top: 150, width: 400, height: 300 })
        .raw()
        .toBuffer(),
    ),
  );
  refs.push(
    await reference(
      'animation 4×400×300',
      Buffer.concat(frames),
      { width: 400, height: 300, channels: 3 },
      4,
    ),
  );
  return refs;
}

async function graphicReference(): Promise<Reference> {
  const { data, info } = await sharp(await graphicAlphaPng(800, 800))
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return reference('graphic+alpha 800×800', data, { width: info.width, height: info.height, channels: 4 });
}

// ---------------------------------------------------------------------------------------------
// Candidates

const c = (format: Format, label: string, options: Record<string, unknown>): Candidate => ({
  format,
  label,
  options,
});

const PHOTO_SMALL: Candidate[] = [
  ...[70, 75, 80, 85, 90].map((q) => c('webp', `q${q} effort 4`, { quality: q, effort: 4 })),
  ...[0, 2, 3, 5, 6].map((e) => c('webp', `q80 effort ${e}`, { quality: 80, effort: e })),
  c('webp', 'q80 effort 4 smartSubsample', { quality: 80, effort: 4, smartSubsample: true }),
  ...[40, 45, 50, 55, 60].map((q) => c('avif', `q${q} effort 4`, { quality: q, effort: 4 })),
  ...[0, 2, 3, 5, 6, 7].map((e) => c('avif', `q50 effort ${e}`, { quality: 50, effort: e })),
  ...[2, 3, 4].map((e) =>
    c('avif', `q50 effort ${e} 4:2:0`, { quality: 50, effort: e, chromaSubsampling: '4:2:0' }),
  ),
  ...[45, 48, 55].map((q) => c('avif', `q${q} effort 3`, { quality: q, effort: 3 })),
  c('jpeg', 'q80 libjpeg baseline', { quality: 80 }),
  ...[75, 80, 85].map((q) => c('jpeg', `q${q} libjpeg progressive`, { quality: q, progressive: true })),
  c('jpeg', 'q80 progressive + trellis', { quality: 80, progressive: true, trellisQuantisation: true }),
  ...[70, 75, 80, 85, 90].map((q) => c('jpeg', `q${q} mozjpeg`, { quality: q, mozjpeg: true })),
  c('jpeg', 'q80 mozjpeg 4:4:4', { quality: 80, mozjpeg: true, chromaSubsampling: '4:4:4' }),
  ...[3, 6, 9].map((l) => c('png', `level ${l}`, { compressionLevel: l })),
  c('png', 'level 6 adaptive', { compressionLevel: 6, adaptiveFiltering: true }),
  c('png', 'palette q90 effort 7', { palette: true, quality: 90, effort: 7 }),
];

const PHOTO_LARGE: Candidate[] = [
  ...[2, 4, 6].map((e) => c('webp', `q80 effort ${e}`, { quality: 80, effort: e })),
  ...[2, 3, 4, 5].map((e) => c('avif', `q50 effort ${e}`, { quality: 50, effort: e })),
  c('avif', 'q55 effort 3', { quality: 55, effort: 3 }),
  c('avif', 'q50 effort 3 4:2:0', { quality: 50, effort: 3, chromaSubsampling: '4:2:0' }),
  ...[75, 80, 85].map((q) => c('jpeg', `q${q} libjpeg progressive`, { quality: q, progressive: true })),
  ...[80, 85].map((q) => c('jpeg', `q${q} mozjpeg`, { quality: q, mozjpeg: true })),
  ...[6, 9].map((l) => c('png', `level ${l}`, { compressionLevel: l })),
];

const GRAPHIC: Candidate[] = [
  ...[3, 6, 9].map((l) => c('png', `level ${l}`, { compressionLevel: l })),
  c('png', 'level 6 adaptive', { compressionLevel: 6, adaptiveFiltering: true }),
  ...[4, 7, 10].map((e) => c('png', `palette q100 effort ${e}`, { palette: true, quality: 100, effort: e })),
  c('webp', 'q80 effort 4', { quality: 80, effort: 4 }),
  c('webp', 'lossless effort 4', { lossless: true, effort: 4 }),
  c('avif', 'q50 effort 3', { quality: 50, effort: 3 }),
  c('avif', 'q50 effort 3 4:2:0', { quality: 50, effort: 3, chromaSubsampling: '4:2:0' }),
  c('avif', 'q50 effort 4', { quality: 50, effort: 4 }),
];

const ANIMATION: Candidate[] = [
  ...[1, 4, 7, 10].map((e) => c('gif', `effort ${e}`, { effort: e })),
  ...[1, 4, 7].map((e) => c('gif', `effort ${e} dither 0`, { effort: e, dither: 0 })),
  c('gif', 'effort 7 interFrameMaxError 8', { effort: 7, interFrameMaxError: 8 }),
  c('webp', 'q80 effort 4 (animated)', { quality: 80, effort: 4 }),
];

// ---------------------------------------------------------------------------------------------
// Measurement

function encoder(ref: Reference, cand: Candidate): Sharp {
  const raw = { width: ref.width, height: ref.height * ref.pages, channels: ref.channels };
  const pageHeight = ref.pages > 1 ? { pageHeight: ref.height } : {};
  return sharp(ref.data, { raw: { ...raw, ...pageHeight } }).toFormat(cand.format, cand.options);
}

interface Timing {
  ms: number;
  cpuMs: number;
  data: Buffer;
}

/** Wall time and this process's CPU time (all threads): CPU time holds up on a busy machine. */
async function timed(ref: Reference, cand: Candidate): Promise<Timing> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const data = await encoder(ref, cand).toBuffer();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, data };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function measure(ref: Reference, cand: Candidate): Promise<Row> {
  const warm = await timed(ref, cand);
  const runs = warm.ms > 1000 ? 1 : 3;
  const times: Timing[] = [];
  for (let i = 0; i < runs; i++) times.push(await timed(ref, cand));
  const decoded = await flatten(sharp(warm.data, { animated: true }));
  const width = ref.width;
  const height = ref.height * ref.pages;
  return {
    image: ref.name,
    format: cand.format,
    setting: cand.label,
    ms: median(times.map((t) => t.ms)),
    cpuMs: median(times.map((t) => t.cpuMs)),
    bytes: warm.data.length,
    bpp: (warm.data.length * 8) / (width * height),
    ssim: ssimLuma(ref.flat, decoded, width, height),
    psnr: psnr(ref.flat, decoded),
  };
}

function printHeader(ref: Reference): void {
  if (JSON_OUTPUT) return;
  console.log(`\n### ${ref.name}\n`);
  console.log('| format | setting | wall ms | CPU ms | KB | bits/px | SSIM (Y) | PSNR dB |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
}

function printRow(row: Row): void {
  if (JSON_OUTPUT) {
    console.log(JSON.stringify(row));
    return;
  }
  const p = Number.isFinite(row.psnr) ? row.psnr.toFixed(2) : '∞';
  console.log(
    `| ${row.format} | ${row.setting} | ${row.ms.toFixed(0)} | ${row.cpuMs.toFixed(0)} | ${(row.bytes / 1024).toFixed(1)} | ${row.bpp.toFixed(3)} | ${row.ssim.toFixed(4)} | ${p} |`,
  );
}

async function main(): Promise<void> {
  sharp.cache(false);
  const started = performance.now();
  const [small, large, animation] = await photoReferences();
  const graphic = await graphicReference();
  const plan: Array<[Reference | undefined, Candidate[]]> = [
    [small, PHOTO_SMALL],
    [large, PHOTO_LARGE],
    [graphic, GRAPHIC],
    [animation, ANIMATION],
  ];
  if (!JSON_OUTPUT) {
    console.log(
      `# Encoder candidates — sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}, ` +
        `sharp.concurrency ${sharp.concurrency()}, node ${process.version}`,
    );
  }
  for (const [ref, candidates] of plan) {
    if (!ref?.name.startsWith(SELECTED)) continue;
    printHeader(ref);
    for (const cand of candidates) printRow(await measure(ref, cand));
  }
  if (!JSON_OUTPUT) console.log(`\n(total ${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

await main();
