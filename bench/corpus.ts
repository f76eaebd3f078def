/**
 * Generates the benchmark inputs (no downloads) into bench/.corpus/ and caches them there.
 * The images are photo-like so encoders do realistic work: smooth gradients, blurred and sharp
 * shapes, and fine grain plus mid-frequency texture; never flat colour, never pure noise.
 * Deterministic: a seeded PRNG drives everything, so every machine benchmarks the same bytes.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { prng } from '../test/support/images.js';

/** Bump when the generator changes, so cached files are regenerated. */
const GENERATOR_VERSION = 2;

export const CORPUS_DIR = join(dirname(fileURLToPath(import.meta.url)), '.corpus');

export interface CorpusImage {
  path: string;
  bytes: Buffer;
  width: number;
  height: number;
  format: string;
  hasAlpha: boolean;
  /** Carries an ICC profile (the JPEG does: sRGB, as camera and phone JPEGs usually do). */
  hasProfile: boolean;
}

export interface Corpus {
  /** 4000×3000 (12 MP) photo-like JPEG, quality 90, 4:2:0, EXIF orientation 1, sRGB ICC profile. */
  jpeg12mp: CorpusImage;
  /** 2000×2000 (4 MP) photo-like RGBA PNG: a soft-edged cut-out on transparency. */
  png4mpAlpha: CorpusImage;
}

type Rng = () => number;

/** Buffer stores floats modulo 256; clamp instead. */
const clamp = (v: number) => Math.max(0, Math.min(255, v));
const pick = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * rng();
const hex = (rng: Rng, lo = 0, hi = 255) =>
  `#${[0, 1, 2]
    .map(() =>
      Math.round(pick(rng, lo, hi))
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;

/** Sky-to-ground gradient with a few large colour blobs, tiny, to be upscaled smoothly. */
function baseLayer(rng: Rng, w: number, h: number): Buffer {
  const out = Buffer.alloc(w * h * 3);
  const sky = [pick(rng, 90, 160), pick(rng, 140, 200), pick(rng, 190, 250)];
  const ground = [pick(rng, 60, 130), pick(rng, 70, 120), pick(rng, 30, 80)];
  const horizon = pick(rng, 0.35, 0.6);
  const blobs = Array.from({ length: 6 }, () => ({
    x: rng() * w,
    y: rng() * h,
    r: pick(rng, 0.1, 0.35) * w,
    c: [pick(rng, 0, 255), pick(rng, 0, 255), pick(rng, 0, 255)],
    k: pick(rng, 0.3, 0.7),
  }));
  for (let y = 0; y < h; y++) {
    const t = Math.min(1, Math.max(0, (y / h - horizon) * 6 + 0.5));
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let v = (sky[c] ?? 0) * (1 - t) + (ground[c] ?? 0) * t;
        for (const b of blobs) {
          const d2 = ((x - b.x) ** 2 + (y - b.y) ** 2) / (b.r * b.r);
          const wgt = b.k * Math.exp(-d2);
          v = v * (1 - wgt) + (b.c[c] ?? 0) * wgt;
        }
        out[(y * w + x) * 3 + c] = clamp(v);
      }
    }
  }
  return out;
}

/** Random shapes as SVG: ellipses, rotated rectangles and polygons with gradient fills. */
function shapesSvg(rng: Rng, w: number, h: number, n: number, opacity: [number, number]): Buffer {
  const defs: string[] = [];
  const shapes: string[] = [];
  for (let i = 0; i < n; i++) {
    defs.push(
      `<linearGradient id="g${i}" x1="0" y1="0" x2="${rng().toFixed(2)}" y2="1">` +
        `<stop offset="0" stop-color="${hex(rng)}"/><stop offset="1" stop-color="${hex(rng)}"/></linearGradient>`,
    );
    const fill = `fill="url(#g${i})" fill-opacity="${pick(rng, ...opacity).toFixed(2)}"`;
    const cx = rng() * w;
    const cy = rng() * h;
    const s = pick(rng, 0.03, 0.25) * w;
    const kind = Math.floor(rng() * 3);
    if (kind === 0) {
      shapes.push(`<ellipse cx="${cx}" cy="${cy}" rx="${s}" ry="${s * pick(rng, 0.3, 1)}" ${fill}/>`);
    } else if (kind === 1) {
      const rot = pick(rng, -60, 60).toFixed(1);
      shapes.push(
        `<rect x="${cx - s / 2}" y="${cy - s / 2}" width="${s}" height="${s * pick(rng, 0.2, 1.5)}" ` +
          `rx="${s * 0.05}" transform="rotate(${rot} ${cx} ${cy})" ${fill}/>`,
      );
    } else {
      const pts = Array.from({ length: 3 + Math.floor(rng() * 5) }, () => {
        return `${(cx + pick(rng, -s, s)).toFixed(0)},${(cy + pick(rng, -s, s)).toFixed(0)}`;
      });
      shapes.push(`<polygon points="${pts.join(' ')}" ${fill}/>`);
    }
  }
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><defs>${defs.join('')}</defs>` +
      `${shapes.join('')}</svg>`,
  );
}

/** Grey texture centred on 128: fine per-pixel grain plus upscaled mid-frequency noise. */
async function textureLayer(rng: Rng, w: number, h: number): Promise<Buffer> {
  const gauss = () => (rng() + rng() + rng() - 1.5) * 2; // ≈ N(0, 1), cheap
  const mw = Math.ceil(w / 6);
  const mh = Math.ceil(h / 6);
  const mid = Buffer.alloc(mw * mh);
  for (let i = 0; i < mid.length; i++) mid[i] = clamp(128 + 22 * gauss());
  const midUp = await sharp(mid, { raw: { width: mw, height: mh, channels: 1 } })
    .resize(w, h, { kernel: 'cubic' })
    .extractChannel(0) // sharp widens 1-channel raw input to 3 channels otherwise
    .raw()
    .toBuffer();
  const out = Buffer.alloc(w * h * 3);
  for (let i = 0, j = 0; i < w * h; i++, j += 3) {
    const v = clamp((midUp[i] ?? 128) + 9 * gauss());
    out[j] = v;
    out[j + 1] = v;
    out[j + 2] = v;
  }
  return out;
}

/** A photo-like RGB image as raw pixels. */
async function photoLike(width: number, height: number, seed: number): Promise<Buffer> {
  const rng = prng(seed);
  const bw = 64;
  const bh = Math.round((64 * height) / width);
  const base = await sharp(baseLayer(rng, bw, bh), { raw: { width: bw, height: bh, channels: 3 } })
    .resize(Math.round(width / 8), Math.round(height / 8), { kernel: 'cubic' })
    .blur(3)
    .resize(width, height, { kernel: 'cubic' })
    .raw()
    .toBuffer();
  // Far shapes: rendered small, blurred hard (out of focus), upscaled.
  const far = await sharp(shapesSvg(rng, width / 4, height / 4, 40, [0.3, 0.8]))
    .blur(8)
    .resize(width, height, { kernel: 'cubic' })
    .raw()
    .toBuffer();
  // Near shapes: full resolution, slightly soft edges, like an in-focus subject.
  const near = await sharp(shapesSvg(rng, width, height, 25, [0.7, 1]))
    .blur(1.2)
    .raw()
    .toBuffer();
  const texture = await textureLayer(rng, width, height);
  const raw4 = { width, height, channels: 4 as const };
  return sharp(base, { raw: { width, height, channels: 3 } })
    .composite([
      { input: far, raw: raw4 },
      { input: near, raw: raw4 },
      { input: texture, raw: { width, height, channels: 3 }, blend: 'overlay' },
    ])
    .removeAlpha()
    .raw()
    .toBuffer();
}

/** Soft-edged opacity mask: blobs, one semi-transparent gradient ("shadow"), transparent rest. */
async function alphaMask(width: number, height: number, seed: number): Promise<Buffer> {
  const rng = prng(seed);
  const blobs = Array.from({ length: 5 }, () => {
    const cx = pick(rng, 0.3, 0.7) * width;
    const cy = pick(rng, 0.3, 0.7) * height;
    return `<ellipse cx="${cx}" cy="${cy}" rx="${pick(rng, 0.1, 0.3) * width}" ry="${pick(rng, 0.1, 0.3) * height}" fill="#fff"/>`;
  });
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    '<defs><linearGradient id="s" x1="0" y1="0" x2="1" y2="0">' +
    '<stop offset="0" stop-color="#000"/><stop offset="1" stop-color="#999"/></linearGradient></defs>' +
    `<rect width="${width}" height="${height}" fill="#000"/>` +
    `<rect x="${width * 0.1}" y="${height * 0.8}" width="${width * 0.8}" height="${height * 0.12}" rx="${width * 0.05}" fill="url(#s)"/>` +
    `${blobs.join('')}</svg>`;
  return sharp(Buffer.from(svg)).blur(4).extractChannel(0).raw().toBuffer();
}

async function writeAtomic(path: string, data: Buffer): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

async function makeJpeg(path: string): Promise<void> {
  const width = 4000;
  const height = 3000;
  const pixels = await photoLike(width, height, 0x12e4);
  const jpeg = await sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90, chromaSubsampling: '4:2:0' })
    .withMetadata({ orientation: 1 })
    .withExif({ IFD0: { Make: 'imgedge', Model: 'bench corpus', Software: `corpus v${GENERATOR_VERSION}` } })
    .toBuffer();
  await writeAtomic(path, jpeg);
}

async function makePng(path: string): Promise<void> {
  const width = 2000;
  const height = 2000;
  const pixels = await photoLike(width, height, 0x4a11);
  const mask = await alphaMask(width, height, 0x4a12);
  const png = await sharp(pixels, { raw: { width, height, channels: 3 } })
    .joinChannel(mask, { raw: { width, height, channels: 1 } })
    .png()
    .toBuffer();
  await writeAtomic(path, png);
}

async function ensure(name: string, make: (path: string) => Promise<void>): Promise<CorpusImage> {
  const path = join(CORPUS_DIR, name);
  if (!existsSync(path)) {
    const t0 = performance.now();
    await make(path);
    process.stderr.write(`corpus: generated ${name} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  const bytes = await readFile(path);
  const meta = await sharp(bytes).metadata();
  return {
    path,
    bytes,
    width: meta.width ?? 0,
    height: meta.height ?? 0,
    format: meta.format ?? 'unknown',
    hasAlpha: meta.hasAlpha ?? false,
    hasProfile: meta.hasProfile ?? false,
  };
}

/** Load the corpus, generating any missing file first. */
export async function loadCorpus(): Promise<Corpus> {
  await mkdir(CORPUS_DIR, { recursive: true });
  const [jpeg12mp, png4mpAlpha] = await Promise.all([
    ensure(`photo-4000x3000-v${GENERATOR_VERSION}.jpg`, makeJpeg),
    ensure(`cutout-2000x2000-rgba-v${GENERATOR_VERSION}.png`, makePng),
  ]);
  return { jpeg12mp, png4mpAlpha };
}
