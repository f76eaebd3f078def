/**
 * `npx tsx bench/mezzanine-formats.ts` — chooses the mezzanine's size, format and quality by
 * measurement (issue 15): for each candidate, the corpus 12 MP JPEG and 4 MP alpha PNG are turned
 * into a mezzanine once, then every width it serves (320…1860, policy.ts's margin) is made from it
 * and from the original with the pipeline's own transform(): SSIM of the pixels (f=png, lossless:
 * what the mezzanine changes) and of the webp as served (two lossy encodes: lower whatever the
 * mezzanine, see bench/README.md), and CPU ms of one 800w webp variant (decode + resize + encode,
 * one at a time, median of 7). Kept: the fastest with pixel SSIM ≥ 0.99 in every cell.
 * Output: a markdown table on stdout (pasted into bench/README.md).
 */
import sharp, { type Sharp } from 'sharp';
import type { OutputFormat } from '../shared/options/types.js';
import { type CorpusImage, loadCorpus } from './corpus.js';
import { ENCODER_DEFAULTS, transform } from './pipeline.js';
import { ssim } from './ssim.js';

interface Candidate {
  name: string;
  edge: number;
  encode(image: Sharp): Sharp;
}

const jpeg = (quality: number, chromaSubsampling: string) => (i: Sharp) =>
  i.jpeg({ quality, chromaSubsampling });
const png0 = (i: Sharp) => i.png({ compressionLevel: 0, adaptiveFiltering: false });

/** Opaque candidates apply to the JPEG, alpha ones to the PNG. */
const CANDIDATES: (Candidate & { alpha: boolean })[] = [
  { name: 'jpeg q90 4:2:0 2048', edge: 2048, alpha: false, encode: jpeg(90, '4:2:0') },
  { name: 'jpeg q92 4:4:4 2048', edge: 2048, alpha: false, encode: jpeg(92, '4:4:4') },
  { name: 'jpeg q95 4:4:4 2048', edge: 2048, alpha: false, encode: jpeg(95, '4:4:4') },
  { name: 'png level 0 2048 (chosen)', edge: 2048, alpha: false, encode: png0 },
  { name: 'jpeg q92 4:4:4 2560', edge: 2560, alpha: false, encode: jpeg(92, '4:4:4') },
  { name: 'png level 0 2048 (chosen)', edge: 2048, alpha: true, encode: png0 },
  { name: 'png level 1 2048', edge: 2048, alpha: true, encode: (i) => i.png({ compressionLevel: 1 }) },
  {
    name: 'webp lossless effort 0 2048',
    edge: 2048,
    alpha: true,
    encode: (i) => i.webp({ lossless: true, effort: 0 }),
  },
  {
    name: 'webp q92 2048',
    edge: 2048,
    alpha: true,
    encode: (i) => i.webp({ quality: 92, alphaQuality: 100 }),
  },
];

const WIDTHS = [320, 640, 800, 1280, 1860];
/** `png` (lossless): the pixels before any lossy encode; `webp`: as served (two lossy encodes). */
const FORMATS: OutputFormat[] = ['png', 'webp'];

async function makeMezzanine(source: CorpusImage, c: Candidate): Promise<Buffer> {
  const image = sharp(source.bytes)
    .autoOrient()
    .resize({ width: c.edge, height: c.edge, fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb');
  return c.encode(image).toBuffer();
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function timed(op: () => Promise<unknown>, n = 7): Promise<number> {
  await op();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = cpuMs();
    await op();
    samples.push(cpuMs() - t);
  }
  return samples.sort((a, b) => a - b)[Math.floor(n / 2)]!;
}

async function main() {
  sharp.concurrency(1);
  const corpus = await loadCorpus();
  const out: string[] = [];
  out.push(
    '| source | mezzanine | bytes | make ms | 800w webp ms (orig → mezz) | min SSIM pixels | min SSIM webp |',
  );
  out.push('| --- | --- | ---: | ---: | ---: | ---: | --- |');
  for (const source of [corpus.jpeg12mp, corpus.png4mpAlpha]) {
    const reference = new Map<string, Buffer>();
    for (const w of WIDTHS)
      for (const f of FORMATS)
        reference.set(`${w}/${f}`, (await transform({ input: source.bytes, options: { w, f } })).data);
    const origMs = await timed(() => transform({ input: source.bytes, options: { w: 800, f: 'webp' } }));
    const encodeOnly = await timed(async () => {
      const { data, info } = await sharp(reference.get('800/webp')!)
        .raw()
        .toBuffer({ resolveWithObject: true });
      return sharp(data, { raw: info }).webp(ENCODER_DEFAULTS.webp).toBuffer();
    }, 5);
    for (const c of CANDIDATES) {
      if (c.alpha !== source.hasAlpha) continue;
      const makeMs = await timed(() => makeMezzanine(source, c), 2);
      const mezz = await makeMezzanine(source, c);
      const mezzMs = await timed(() => transform({ input: mezz, options: { w: 800, f: 'webp' } }));
      const min: Record<string, number> = { png: 1, webp: 1 };
      for (const w of WIDTHS) {
        // Only the widths the mezzanine serves (policy.ts: MARGIN 1.1).
        if (w * 1.1 > c.edge) continue;
        for (const f of FORMATS) {
          const made = (await transform({ input: mezz, options: { w, f } })).data;
          min[f] = Math.min(min[f]!, await ssim(made, reference.get(`${w}/${f}`)!));
        }
      }
      out.push(
        `| ${source === corpus.jpeg12mp ? '12 MP JPEG' : '4 MP alpha PNG'} | ${c.name} | ${(mezz.length / 1024).toFixed(0)} kB | ${makeMs.toFixed(0)} | ${origMs.toFixed(0)} → ${mezzMs.toFixed(0)} (encode alone ${encodeOnly.toFixed(0)}) | ${min.png!.toFixed(4)} | ${min.webp!.toFixed(4)} |`,
      );
      process.stderr.write(`${out.at(-1)}\n`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
