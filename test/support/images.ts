/**
 * Real test images, generated with sharp on demand (no fixtures on disk, no downloads).
 * Each generator documents what it draws so a test can assert where a pixel must land.
 * Kept small: every golden test generates its input in a few milliseconds.
 */
import { crc32 } from 'node:zlib';
import sharp from 'sharp';

export type Rgb = { r: number; g: number; b: number };

export const RED: Rgb = { r: 255, g: 0, b: 0 };
export const GREEN: Rgb = { r: 0, g: 255, b: 0 };
export const BLUE: Rgb = { r: 0, g: 0, b: 255 };
export const GREY: Rgb = { r: 128, g: 128, b: 128 };
export const WHITE: Rgb = { r: 255, g: 255, b: 255 };

function solid(width: number, height: number, colour: Rgb) {
  return sharp({ create: { width, height, channels: 3, background: colour } });
}

/**
 * JPEG stored 300×200 with EXIF Orientation 6 (display: rotate 90° clockwise → 200×300).
 * Stored: grey with a 60×40 red block in the top-left corner, so once oriented the red block is
 * in the top-right corner. Carries an Artist tag and an sRGB ICC profile that outputs must strip.
 */
export function orientation6Jpeg(): Promise<Buffer> {
  return solid(300, 200, GREY)
    .composite([
      { input: { create: { width: 60, height: 40, channels: 3, background: RED } }, left: 0, top: 0 },
    ])
    .jpeg({ quality: 95 })
    .withExif({ IFD0: { Artist: 'imgedge-test-artist' } })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/**
 * PNG 200×100 with alpha: left half opaque red, right half fully transparent.
 */
export function alphaPng(): Promise<Buffer> {
  return sharp({ create: { width: 200, height: 100, channels: 4, background: { ...RED, alpha: 0 } } })
    .composite([
      {
        input: { create: { width: 100, height: 100, channels: 4, background: { ...RED, alpha: 1 } } },
        left: 0,
        top: 0,
      },
    ])
    .png()
    .toBuffer();
}

/** The frame colours of animatedGif(), in order. */
export const GIF_FRAMES: readonly Rgb[] = [RED, GREEN, BLUE];

/** Animated GIF, 3 frames of 120×90: solid red, green, blue; 100 ms each, looping forever. */
export async function animatedGif(): Promise<Buffer> {
  const frames = await Promise.all(GIF_FRAMES.map((c) => solid(120, 90, c).png().toBuffer()));
  return sharp(frames, { join: { animated: true } })
    .gif({ delay: [100, 100, 100], loop: 0 })
    .toBuffer();
}

/**
 * Animated GIF of `frames` frames of `width`×`height` (at least 16 wide), 20 ms each, for
 * frame-count limits: grey, with frame i's number drawn in binary as white pixels along the top
 * row (so no two frames are alike and the encoder cannot merge any). A few KB.
 */
export async function animatedGifFrames(frames: number, width = 16, height = 12): Promise<Buffer> {
  const pages = await Promise.all(
    Array.from({ length: frames }, (_, i) => {
      const raw = Buffer.alloc(width * height * 3, 128);
      for (let bit = 0; bit < 16; bit++) if ((i >> bit) & 1) raw.fill(255, bit * 3, bit * 3 + 3);
      return sharp(raw, { raw: { width, height, channels: 3 } })
        .png()
        .toBuffer();
    }),
  );
  return sharp(pages, { join: { animated: true } })
    .gif({ delay: Array.from({ length: frames }, () => 20), loop: 0 })
    .toBuffer();
}

/** A 1×1 opaque PNG. */
export function onePixelPng(colour: Rgb = GREEN): Promise<Buffer> {
  return solid(1, 1, colour).png().toBuffer();
}

/**
 * A wide strip (default 8000×100): left quarter red, the rest blue. PNG compresses the flat
 * colours to a few hundred bytes whatever the size.
 */
export function strip(width = 8000, height = 100): Promise<Buffer> {
  const quarter = Math.max(1, Math.floor(width / 4));
  return solid(width, height, BLUE)
    .composite([
      { input: { create: { width: quarter, height, channels: 3, background: RED } }, left: 0, top: 0 },
    ])
    .removeAlpha()
    .png()
    .toBuffer();
}

/** CMYK JPEG 120×80 (no embedded profile): solid red converted to CMYK by libvips. */
export function cmykJpeg(): Promise<Buffer> {
  return solid(120, 80, RED).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
}

/** 16-bit-per-channel RGB PNG 64×64 of a solid #336699. */
export function png16(): Promise<Buffer> {
  return solid(64, 64, { r: 0x33, g: 0x66, b: 0x99 }).toColourspace('rgb16').png().toBuffer();
}

/** JPEG 64×64 of solid red carrying libvips' built-in Display P3 ICC profile (a non-sRGB source). */
export function displayP3Jpeg(): Promise<Buffer> {
  return solid(64, 64, RED).withIccProfile('p3').jpeg({ quality: 95 }).toBuffer();
}

/**
 * PNG 400×200 for smart crop: flat grey, with a detailed, saturated checkerboard in the right
 * 60 columns (x ≥ 340) that attention/entropy must keep. A centre crop to a square drops it.
 */
export function salientPng(): Promise<Buffer> {
  const cells: string[] = [];
  for (let y = 0; y < 200; y += 10) {
    for (let x = 340; x < 400; x += 10) {
      const fill = (x / 10 + y / 10) % 2 === 0 ? '#ff2000' : '#ffe000';
      cells.push(`<rect x="${x}" y="${y}" width="10" height="10" fill="${fill}"/>`);
    }
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200">${cells.join('')}</svg>`;
  return solid(400, 200, GREY)
    .composite([{ input: Buffer.from(svg) }])
    .removeAlpha()
    .png()
    .toBuffer();
}

/**
 * PNG 64×64: a 32×32 red square centred on a white border 16 px wide, for trim
 * (trimmed, it is exactly the 32×32 square).
 */
export function borderedPng(): Promise<Buffer> {
  return solid(64, 64, { r: 255, g: 255, b: 255 })
    .composite([
      { input: { create: { width: 32, height: 32, channels: 3, background: RED } }, left: 16, top: 16 },
    ])
    .removeAlpha()
    .png()
    .toBuffer();
}

/**
 * A large, flat PNG (default 4000×4000 grey): a few tens of KB to store, but every
 * whole-image operation on it costs time (used to trip the processing timeout).
 */
export function largeFlatPng(width = 4000, height = 4000): Promise<Buffer> {
  return solid(width, height, GREY).png().toBuffer();
}

/**
 * A decompression bomb: a valid 1×1 PNG (a few dozen bytes) whose header declares `width`×`height`
 * (default 50000×50000, 2.5 gigapixels), its IHDR checksum recomputed so decoders believe it.
 */
export async function pixelBombPng(width = 50_000, height = 50_000): Promise<Buffer> {
  const png = Buffer.from(await onePixelPng());
  // Signature (8), IHDR length (4), "IHDR" (4), width (4) at 16, height (4) at 20, …, CRC at 29.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

/** A small SVG document (imgedge refuses SVG: a script surface). */
export function svgImage(): Buffer {
  return Buffer.from(
    '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="red"/></svg>',
  );
}

/** Bytes that are no image at all. */
export function garbage(): Buffer {
  return Buffer.from('this is not an image, just forty-odd bytes of text');
}

/** A JPEG cut in half: its header is intact (metadata works), its scan data is truncated. */
export async function truncatedJpeg(): Promise<Buffer> {
  const full = await photoJpeg(320, 240);
  return full.subarray(0, Math.floor(full.length / 2));
}

// ---------------------------------------------------------------------------------------------
// Photo-like images: smooth gradients, shapes, fine texture and grain (for encoders and resize).

/** Small, fast, deterministic PRNG (mulberry32); the bench corpus uses it too. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shapesSvg(width: number, height: number, rand: () => number): string {
  const s = Math.min(width, height);
  const parts: string[] = [
    '<defs>',
    '<radialGradient id="sun"><stop offset="0" stop-color="#fff6d0"/><stop offset="1" stop-color="#ff9a30" stop-opacity="0"/></radialGradient>',
    '<linearGradient id="hill" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#4f7a38"/><stop offset="1" stop-color="#1d3315"/></linearGradient>',
    '<linearGradient id="wall" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#c9b49a"/><stop offset="1" stop-color="#7a6652"/></linearGradient>',
    '</defs>',
    `<circle cx="${width * 0.78}" cy="${height * 0.2}" r="${s * 0.16}" fill="url(#sun)"/>`,
    `<path d="M0 ${height * 0.62} Q ${width * 0.25} ${height * 0.42} ${width * 0.5} ${height * 0.6} T ${width} ${height * 0.55} V ${height} H 0 Z" fill="url(#hill)"/>`,
    `<rect x="${width * 0.12}" y="${height * 0.38}" width="${width * 0.22}" height="${height * 0.34}" fill="url(#wall)" transform="rotate(-3 ${width * 0.2} ${height * 0.5})"/>`,
    `<polygon points="${width * 0.1},${height * 0.4} ${width * 0.23},${height * 0.27} ${width * 0.36},${height * 0.4}" fill="#8c2f22"/>`,
  ];
  for (let i = 0; i < 6; i++) {
    const x = width * (0.15 + 0.12 * i + rand() * 0.04);
    parts.push(
      `<rect x="${x}" y="${height * 0.48}" width="${width * 0.025}" height="${height * 0.07}" fill="#2b3f55" stroke="#eeeeee" stroke-width="${s * 0.004}"/>`,
    );
  }
  for (let i = 0; i < 40; i++) {
    const x = rand() * width;
    const y = height * (0.55 + rand() * 0.4);
    const hue = Math.floor(rand() * 360);
    parts.push(
      `<ellipse cx="${x}" cy="${y}" rx="${s * (0.01 + rand() * 0.03)}" ry="${s * (0.008 + rand() * 0.02)}" fill="hsl(${hue},70%,55%)" fill-opacity="0.8"/>`,
    );
  }
  for (let i = 0; i < 60; i++) {
    const x = rand() * width;
    const y = height * (0.6 + rand() * 0.4);
    parts.push(
      `<line x1="${x}" y1="${y}" x2="${x + (rand() - 0.5) * s * 0.05}" y2="${y - s * (0.03 + rand() * 0.06)}" stroke="#1a2a10" stroke-width="${1 + rand() * 2}"/>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/**
 * Raw RGB pixels of a photo-like scene: a sky-to-ground gradient, a sun, hills, a house with
 * windows, flowers and grass strokes, then fine texture in the foreground and film grain.
 * Deterministic for a given (width, height, seed).
 */
export async function photoRaw(
  width: number,
  height: number,
  seed = 1,
): Promise<{ data: Buffer; width: number; height: number; channels: 3 }> {
  const rand = prng(seed);
  const base = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    const v = y / height;
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const i = (y * width + x) * 3;
      const wave = Math.sin(u * 5.1 + v * 2.3) * 18;
      base[i] = 70 + 120 * v + wave;
      base[i + 1] = 120 + 60 * (1 - v) + wave * 0.6;
      base[i + 2] = 230 - 150 * v + Math.cos(u * 3.7) * 12;
    }
  }
  const drawn = await sharp(base, { raw: { width, height, channels: 3 } })
    .composite([{ input: Buffer.from(shapesSvg(width, height, rand)) }])
    .removeAlpha()
    .raw()
    .toBuffer();
  // Foreground texture (grass-like, high frequency) and grain everywhere.
  for (let y = 0; y < height; y++) {
    const fg = y > height * 0.6 ? (y / height - 0.6) * 2.5 : 0;
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const tex =
        fg *
        (16 * Math.sin(x * 0.31 + Math.sin(y * 0.047) * 4) * Math.sin(y * 0.23 + x * 0.02) +
          8 * Math.sin(x * 0.11 - y * 0.07));
      const grain = (rand() + rand() + rand() - 1.5) * 6;
      for (let c = 0; c < 3; c++) {
        const value = (drawn[i + c] ?? 0) + tex + grain;
        drawn[i + c] = Math.max(0, Math.min(255, value));
      }
    }
  }
  return { data: drawn, width, height, channels: 3 };
}

/** The photo-like scene as a camera-style JPEG (quality 92, 4:2:0). */
export async function photoJpeg(width: number, height: number, seed = 1): Promise<Buffer> {
  const { data } = await photoRaw(width, height, seed);
  return sharp(data, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 92 })
    .toBuffer();
}

/**
 * A graphic with alpha (logo-like: flat shapes, anti-aliased edges, a soft shadow) as PNG,
 * the kind of source that keeps PNG/WebP-with-alpha output.
 */
export function graphicAlphaPng(width = 800, height = 800): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 100 100">
    <defs><filter id="s"><feGaussianBlur stdDeviation="1.5"/></filter>
    <linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#3a7bd5"/><stop offset="1" stop-color="#00d2ff"/></linearGradient></defs>
    <circle cx="52" cy="53" r="38" fill="#000" fill-opacity="0.35" filter="url(#s)"/>
    <circle cx="50" cy="50" r="38" fill="url(#g)"/>
    <path d="M30 55 L45 70 L72 35" stroke="#fff" stroke-width="8" fill="none" stroke-linecap="round" stroke-linejoin="round"/>
    <rect x="8" y="8" width="18" height="18" rx="4" fill="#ff5a36"/>
  </svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}
