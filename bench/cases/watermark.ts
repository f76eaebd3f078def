/**
 * Issue 13's watermark bar: "the watermark adds ≤ 15 % to a cold 800w webp". Both sides run the
 * origin's transform() on the 12 MP JPEG → 800w webp (cold: no variant cache in play), the
 * candidate with wm= (a 600×200 PNG logo with alpha, southeast, 20 % of the width, opacity 0.6),
 * alternated in rounds in one run. The watermark's pixels come from the origin's WatermarkLibrary
 * as in production: decoded once, then from its cache (the library's steady state), so the case
 * measures what the pipeline adds per variant: the raw hand-over, the composite, the alpha blend.
 * ratio = candidate / baseline throughput; the floor 0.87 is 1 / 1.15.
 */
import sharp from 'sharp';
import type { WatermarkInput } from '../../origin/transform/types.js';
import { WatermarkLibrary } from '../../origin/watermarks/library.js';
import type { ImageOptions } from '../../shared/options/types.js';
import { parseWatermarks } from '../../shared/watermarks/index.js';
import type { CorpusImage } from '../corpus.js';
import { transform } from '../pipeline.js';
import { type BenchCase, defineCase } from '../types.js';

const PLAIN: ImageOptions = { w: 800, f: 'webp' };
const MARKED: ImageOptions = { ...PLAIN, wm: 'logo' };

/** A 600×200 logo: a translucent plate with an opaque bar, so the blend has real alpha to do. */
async function logoPng(): Promise<Buffer> {
  const bar = await sharp({
    create: { width: 500, height: 80, channels: 4, background: { r: 255, g: 255, b: 255, alpha: 1 } },
  })
    .png()
    .toBuffer();
  return sharp({
    create: { width: 600, height: 200, channels: 4, background: { r: 20, g: 20, b: 20, alpha: 0.5 } },
  })
    .composite([{ input: bar, left: 50, top: 60 }])
    .png()
    .toBuffer();
}

export const cases: BenchCase[] = [
  defineCase<{ source: CorpusImage; watermark: WatermarkInput }>({
    name: 'jpeg12mp-800w-webp-watermark',
    baselineLabel: 'no wm',
    candidateLabel: 'wm=logo',
    ratioFloor: 1 / 1.15,
    setup: async (ctx) => {
      const logo = await logoPng();
      const library = new WatermarkLibrary({
        watermarks: parseWatermarks(
          JSON.stringify({
            logo: { image: 'benchlogo1', gravity: 'southeast', scale: 0.2, opacity: 0.6, margin: 16 },
          }),
        ),
        lookup: async () => 'bench-logo-sha256',
        originals: { read: async () => logo },
        maxBytes: 64 * 1024 ** 2,
        maxInputPixels: 50_000_000,
      });
      const { input } = await library.resolve('logo');
      return { source: ctx.corpus.jpeg12mp, watermark: input };
    },
    baseline:
      ({ source }) =>
      () =>
        transform({ input: source.bytes, options: PLAIN }),
    candidate:
      ({ source, watermark }) =>
      () =>
        transform({ input: source.bytes, options: MARKED, watermark }),
  }),
];
