/**
 * Issue 2's four cases: origin/transform's transform() against raw sharp doing the same
 * operation on the same bytes at the same concurrency.
 *
 * The raw chains mirror what the pipeline's steps configure for these options (read in
 * origin/transform/steps/*): the same decoder flags (load.ts), autoOrient(), the same resize box
 * (`w` alone → width w, height capped at 8192, fit inside, no enlargement; geometry.ts), flatten
 * on white for jpeg output (background.ts), toColourspace('srgb') plus the sRGB ICC profile when
 * the source carries one (colour-space.ts), and the encoder options of encoders.ts.
 * Not mirrored, because they are the pipeline's own overhead under test: the header read
 * (metadata()) before the pipeline is built, and the processing timeout. Keep the chains in step
 * with the pipeline; each JSON line's `*_output` fields show both results side by side.
 */
import sharp, { type Sharp } from 'sharp';
import type { ImageOptions } from '../../shared/options/types.js';
import type { Corpus, CorpusImage } from '../corpus.js';
import { DECODER_OPTIONS, ENCODER_DEFAULTS, transform } from '../pipeline.js';
import { type BenchCase, defineCase } from '../types.js';

const MAX_SIDE = 8192;
const WHITE = { r: 255, g: 255, b: 255, alpha: 1 };

interface Spec {
  name: string;
  input(corpus: Corpus): CorpusImage;
  options: ImageOptions;
  /** The geometry in raw sharp, up to (not including) the colour step and the encoder. */
  geometry(image: Sharp): Sharp;
  /** The encoder in raw sharp, with the pipeline's settings. */
  encode(image: Sharp): Sharp;
  /**
   * Slow encoders: a fixed number of operations per side, this many times the concurrency
   * (split over the rounds), instead of a time window.
   */
  batchesPerSide?: number;
}

/** The pipeline's colour step: 8-bit sRGB; a source with a profile gets the sRGB profile. */
function colour(image: Sharp, source: CorpusImage): Sharp {
  image.toColourspace('srgb');
  return source.hasProfile ? image.withIccProfile('srgb') : image;
}

/**
 * The raw-sharp baseline: decode with the pipeline's flags, auto-orient, `geometry`, the colour
 * step, `encode`. Also the reference of the origin-over-HTTP cases (cases/origin.ts).
 */
export function rawSharp(
  source: CorpusImage,
  geometry: (image: Sharp) => Sharp,
  encode: (image: Sharp) => Sharp,
): Promise<Buffer> {
  return encode(colour(geometry(sharp(source.bytes, DECODER_OPTIONS).autoOrient()), source)).toBuffer();
}

function transformCase(spec: Spec): BenchCase {
  return defineCase<{ source: CorpusImage }>({
    name: spec.name,
    plan: (ctx) => (spec.batchesPerSide ? { count: Math.ceil(spec.batchesPerSide * ctx.concurrency) } : {}),
    setup: async (ctx) => ({ source: spec.input(ctx.corpus) }),
    baseline:
      ({ source }) =>
      () =>
        rawSharp(source, spec.geometry, spec.encode),
    candidate:
      ({ source }) =>
      () =>
        transform({ input: source.bytes, options: spec.options }),
  });
}

/** What the pipeline does for `w` alone. */
export const toWidth = (width: number) => (image: Sharp) =>
  image.resize({ width, height: MAX_SIDE, fit: 'inside', withoutEnlargement: true });

export const cases: BenchCase[] = [
  transformCase({
    name: 'jpeg12mp-800w-webp',
    input: (c) => c.jpeg12mp,
    options: { w: 800, f: 'webp' },
    geometry: toWidth(800),
    encode: (image) => image.webp(ENCODER_DEFAULTS.webp),
  }),
  transformCase({
    name: 'jpeg12mp-800w-avif',
    input: (c) => c.jpeg12mp,
    options: { w: 800, f: 'avif' },
    geometry: toWidth(800),
    encode: (image) => image.avif(ENCODER_DEFAULTS.avif),
    // The slow encoder (≈0.35 s per op one at a time at effort 3, ≈2.4 s at effort 4): a fixed
    // count keeps the run bounded whatever the effort; 64 ops per side at concurrency 4.
    batchesPerSide: 16,
  }),
  transformCase({
    name: 'jpeg12mp-400x400-cover-attention-jpeg',
    input: (c) => c.jpeg12mp,
    options: { w: 400, h: 400, fit: 'cover', g: 'attention', f: 'jpeg' },
    geometry: (image) =>
      image
        .resize({
          width: 400,
          height: 400,
          fit: 'cover',
          position: sharp.strategy.attention,
          withoutEnlargement: true,
        })
        .flatten({ background: WHITE }),
    encode: (image) => image.jpeg(ENCODER_DEFAULTS.jpeg),
  }),
  transformCase({
    name: 'png4mp-alpha-800w-webp',
    input: (c) => c.png4mpAlpha,
    options: { w: 800, f: 'webp' },
    geometry: toWidth(800),
    encode: (image) => image.webp(ENCODER_DEFAULTS.webp),
  }),
];
