/**
 * `npx tsx bench/mezzanine-formats.ts` — chooses the mezzanine's size, format and quality by
 * measurement (issue 15): for each candidate, the corpus 12 MP JPEG and 4 MP alpha PNG are turned
 * into a mezzanine once, then every served cell (widths 320/640/800/1280/1920 × webp/avif/jpeg) is
 * made from it and from the original with the pipeline's own transform(); SSIM between the two,
 * and CPU ms of one 800w webp variant (decode + resize + encode, one at a time, median of 7).
 * The candidate kept is the fastest whose every cell with enough pixels is at SSIM ≥ 0.99.
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
  encode(image: Sharp, alpha: boolean): Sharp;
}

const CANDIDATES: Candidate[] = [];
for (const edge of [2048, 2560]) {
  CANDIDATES.push(
    {
      name: `jpeg q90 4:2:0 ${edge}`,
      edge,
      encode: (i, a) => (a ? i.webp({ quality: 90 }) : i.jpeg({ quality: 90 })),
    },
    {
      name: `jpeg q92 4:4:4 / webp q92 ${edge}`,
      edge,
      encode: (i, a) =>
        a ? i.webp({ quality: 92, alphaQuality: 100 }) : i.jpeg({ quality: 92, chromaSubsampling: '4:4:4' }),
    },
    {
      name: `jpeg q95 4:4:4 / webp near-lossless ${edge}`,
      edge,
      encode: (i, a) =>
        a
          ? i.webp({ nearLossless: true, quality: 80, effort: 1 })
          : i.jpeg({ quality: 95, chromaSubsampling: '4:4:4' }),
    },
    {
      name: `webp lossless e0 ${edge}`,
      edge,
      encode: (i) => i.webp({ lossless: true, effort: 0 }),
    },
    { name: `png c1 ${edge}`, edge, encode: (i) => i.png({ compressionLevel: 1 }) },
  );
}

const WIDTHS = [320, 640, 800, 1280, 1920];
const FORMATS: OutputFormat[] = ['webp', 'avif', 'jpeg'];

async function makeMezzanine(source: CorpusImage, c: Candidate): Promise<Buffer> {
  const image = sharp(source.bytes)
    .autoOrient()
    .resize({ width: c.edge, height: c.edge, fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb');
  return c.encode(image, source.hasAlpha).toBuffer();
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
    '| source | mezzanine | bytes | make ms | 800w webp ms (orig → mezz) | min SSIM (cells) | worst cell |',
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
      if (c.name.startsWith('jpeg q90') && source.hasAlpha) continue;
      const makeMs = await timed(() => makeMezzanine(source, c), 2);
      const mezz = await makeMezzanine(source, c);
      const mezzMs = await timed(() => transform({ input: mezz, options: { w: 800, f: 'webp' } }));
      let min = 1;
      let worst = '';
      for (const w of WIDTHS) {
        if (w > c.edge) continue;
        for (const f of FORMATS) {
          const made = (await transform({ input: mezz, options: { w, f } })).data;
          const s = await ssim(made, reference.get(`${w}/${f}`)!);
          if (s < min) {
            min = s;
            worst = `${w}w ${f}`;
          }
        }
      }
      out.push(
        `| ${source === corpus.jpeg12mp ? '12 MP JPEG' : '4 MP alpha PNG'} | ${c.name} | ${(mezz.length / 1024).toFixed(0)} kB | ${makeMs.toFixed(0)} | ${origMs.toFixed(0)} → ${mezzMs.toFixed(0)} (encode alone ${encodeOnly.toFixed(0)}) | ${min.toFixed(4)} | ${worst} |`,
      );
      process.stderr.write(`${out.at(-1)}\n`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
