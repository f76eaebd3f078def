/** Test helpers: read back what the pipeline wrote, from the bytes alone (sharp as the decoder). */
import sharp from 'sharp';
import { expect } from 'vitest';
import type { Rgb } from '../../support/images.js';

export interface Sniffed {
  format: string;
  width: number;
  /** Height of one frame. */
  height: number;
  pages: number;
  hasAlpha: boolean;
  channels: number;
  space: string;
  depth: string;
  orientation: number | undefined;
  exif: boolean;
  xmp: boolean;
  iptc: boolean;
  icc: Buffer | undefined;
  isProgressive: boolean;
  isPalette: boolean;
  delay: number[] | undefined;
  loop: number | undefined;
}

/** The output as a decoder sees it (all frames). */
export async function sniff(data: Buffer): Promise<Sniffed> {
  const m = await sharp(data, { animated: true }).metadata();
  const pages = m.pages ?? 1;
  return {
    format: m.format,
    width: m.width,
    height: m.pageHeight ?? m.height,
    pages,
    hasAlpha: m.hasAlpha,
    channels: m.channels,
    space: m.space,
    depth: m.depth,
    orientation: m.orientation,
    exif: m.exif !== undefined,
    xmp: m.xmp !== undefined,
    iptc: m.iptc !== undefined,
    icc: m.icc,
    isProgressive: m.isProgressive,
    isPalette: m.isPalette,
    delay: m.delay,
    loop: m.loop,
  };
}

/** RGBA of one pixel of one frame (alpha 255 when the image has none). */
export async function pixelAt(
  data: Buffer,
  x: number,
  y: number,
  page = 0,
): Promise<[number, number, number, number]> {
  const { data: px, info } = await sharp(data, { page })
    .ensureAlpha()
    .extract({ left: x, top: y, width: 1, height: 1 })
    .raw()
    .toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(4);
  return [px[0] ?? -1, px[1] ?? -1, px[2] ?? -1, px[3] ?? -1];
}

/** Asserts a pixel is the colour within a tolerance (lossy encoders), and opaque unless told. */
export async function expectPixel(
  data: Buffer,
  x: number,
  y: number,
  colour: Rgb & { alpha?: number },
  tolerance = 48,
  page = 0,
): Promise<void> {
  const [r, g, b, a] = await pixelAt(data, x, y, page);
  const where = `pixel (${x},${y}) page ${page} = rgba(${r},${g},${b},${a})`;
  expect(Math.abs(r - colour.r), where).toBeLessThanOrEqual(tolerance);
  expect(Math.abs(g - colour.g), where).toBeLessThanOrEqual(tolerance);
  expect(Math.abs(b - colour.b), where).toBeLessThanOrEqual(tolerance);
  expect(Math.abs(a - (colour.alpha ?? 255)), where).toBeLessThanOrEqual(tolerance);
}

/** The description of an ICC profile (v2 `desc` or v4 `mluc`), e.g. "sRGB built-in". */
export function iccDescription(icc: Buffer): string {
  const count = icc.readUInt32BE(128);
  for (let i = 0; i < count; i++) {
    const entry = 132 + i * 12;
    if (icc.toString('latin1', entry, entry + 4) !== 'desc') continue;
    const offset = icc.readUInt32BE(entry + 4);
    const type = icc.toString('latin1', offset, offset + 4);
    if (type === 'desc') {
      const length = icc.readUInt32BE(offset + 8);
      return icc.toString('latin1', offset + 12, offset + 12 + length).replace(/\0+$/, '');
    }
    if (type === 'mluc') {
      const length = icc.readUInt32BE(offset + 20);
      const start = offset + icc.readUInt32BE(offset + 24);
      const utf16be = icc.subarray(start, start + length);
      return Buffer.from(utf16be).swap16().toString('utf16le');
    }
  }
  return '';
}
