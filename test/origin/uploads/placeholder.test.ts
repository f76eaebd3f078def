/**
 * The placeholder on real sharp decodes of generated images: the thumbnail the upload's decode
 * check makes (≤ 100×100, oriented, sRGB, RGBA, first frame), the ThumbHash made from it (decoded
 * back with the thumbhash package: colours, alpha, aspect ratio) and the mean colour.
 */
import sharp from 'sharp';
import { thumbHashToApproximateAspectRatio, thumbHashToRGBA } from 'thumbhash';
import { describe, expect, it } from 'vitest';
import {
  meanColour,
  type Placeholder,
  placeholderOf,
  type Thumbnail,
} from '../../../origin/images/placeholder.js';
import { verifyDecodes } from '../../../origin/uploads/verify.js';
import {
  alphaPng,
  animatedGif,
  cmykJpeg,
  onePixelPng,
  orientation6Jpeg,
  photoJpeg,
  png16,
  truncatedJpeg,
} from '../../support/images.js';

const CAP = { maxInputPixels: 50_000_000 };

async function thumbnailOf(input: Buffer, animated = false): Promise<Thumbnail> {
  return verifyDecodes(input, { ...CAP, animated });
}

/** The RGBA pixel at (x, y). */
function pixel(t: { width: number; rgba: Uint8Array }, x: number, y: number): number[] {
  const i = (y * t.width + x) * 4;
  return [...t.rgba.subarray(i, i + 4)];
}

function decoded(p: Placeholder) {
  const hash = Buffer.from(p.thumbhash, 'base64');
  const { w, h, rgba } = thumbHashToRGBA(hash);
  return { width: w, height: h, rgba, ratio: thumbHashToApproximateAspectRatio(hash) };
}

function hex(rgb: readonly number[]): string {
  return `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

describe('the decode check makes the placeholder thumbnail', () => {
  it('fits 100×100 keeping the aspect ratio, RGBA, from a 12 MP-class JPEG (4000×3000 → 100×75)', async () => {
    const t = await thumbnailOf(
      await sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#336699' } })
        .jpeg()
        .toBuffer(),
    );
    expect([t.width, t.height, t.rgba.length]).toEqual([100, 75, 100 * 75 * 4]);
    const [r, g, b, a] = pixel(t, 50, 37);
    expect([Math.abs(r! - 0x33), Math.abs(g! - 0x66), Math.abs(b! - 0x99)].every((d) => d <= 2)).toBe(true);
    expect(a).toBe(255);
  });

  it('never enlarges a small image (1×1 stays 1×1)', async () => {
    const t = await thumbnailOf(await onePixelPng({ r: 10, g: 20, b: 30 }));
    expect([t.width, t.height]).toEqual([1, 1]);
    expect(pixel(t, 0, 0)).toEqual([10, 20, 30, 255]);
  });

  it('is auto-oriented: EXIF 6 turns 300×200 into a portrait with the red block top right', async () => {
    const t = await thumbnailOf(await orientation6Jpeg());
    expect([t.width, t.height]).toEqual([67, 100]);
    const [r, g, b] = pixel(t, t.width - 3, 3);
    expect(r).toBeGreaterThan(200);
    expect(g! + b!).toBeLessThan(80);
    expect(Math.abs(pixel(t, 3, 3)[0]! - 128)).toBeLessThan(12);
  });

  it('is 8-bit sRGB whatever the source: CMYK JPEG (red) and 16-bit PNG (#336699)', async () => {
    const cmyk = await thumbnailOf(await cmykJpeg());
    const [r, g, b, a] = pixel(cmyk, 10, 10);
    expect(r).toBeGreaterThan(200);
    expect(g! + b!).toBeLessThan(60);
    expect(a).toBe(255);
    expect(pixel(await thumbnailOf(await png16()), 5, 5)).toEqual([0x33, 0x66, 0x99, 255]);
  });

  it('keeps alpha: the left half opaque red, the right half transparent', async () => {
    const t = await thumbnailOf(await alphaPng());
    expect([t.width, t.height]).toEqual([100, 50]);
    expect(pixel(t, 10, 25)).toEqual([255, 0, 0, 255]);
    expect(pixel(t, 90, 25)[3]).toBe(0);
  });

  it('is the first frame of an animation', async () => {
    const whole = await thumbnailOf(await animatedGif(), true);
    expect([whole.width, whole.height]).toEqual([100, 75]);
    expect(pixel(whole, 50, 37)).toEqual([255, 0, 0, 255]);
    expect(placeholderOf(whole).color).toMatch(/^#ff0[0-3]0[0-3]$/);
  });

  it('still refuses truncated data: 422 invalid_image', async () => {
    await expect(thumbnailOf(await truncatedJpeg())).rejects.toMatchObject({
      code: 'invalid_image',
      status: 422,
    });
  });
});

describe('placeholderOf', () => {
  it('a ThumbHash (base64) that decodes to the image: flat colour, landscape aspect ratio', async () => {
    const t = await thumbnailOf(
      await sharp({ create: { width: 400, height: 200, channels: 3, background: '#2080c0' } })
        .png()
        .toBuffer(),
    );
    const p = placeholderOf(t);
    expect(p.thumbhash).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(p.thumbhash, 'base64').length).toBeLessThanOrEqual(25);
    expect(p.color).toBe('#2080c0');
    const d = decoded(p);
    expect(d.ratio).toBeCloseTo(2, 0);
    const [r, g, b, a] = pixel(d, Math.floor(d.width / 2), Math.floor(d.height / 2));
    expect(Math.abs(r! - 0x20)).toBeLessThan(10);
    expect(Math.abs(g! - 0x80)).toBeLessThan(10);
    expect(Math.abs(b! - 0xc0)).toBeLessThan(10);
    expect(a).toBe(255);
  });

  it('keeps the layout: a photo-like scene decodes lighter at the top (sky) than at the bottom', async () => {
    const p = placeholderOf(await thumbnailOf(await photoJpeg(400, 300, 3)));
    const d = decoded(p);
    const luma = (y: number) => {
      const [r, g, b] = pixel(d, Math.floor(d.width / 2), y);
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    expect(d.ratio).toBeCloseTo(4 / 3, 0);
    expect(luma(1)).toBeGreaterThan(luma(d.height - 2));
  });

  it('alpha: red where opaque and transparent where transparent; the colour counts opaque pixels only', async () => {
    const p = placeholderOf(await thumbnailOf(await alphaPng()));
    expect(p.color).toBe('#ff0000');
    const d = decoded(p);
    expect(pixel(d, 1, Math.floor(d.height / 2))[3]).toBeGreaterThan(200);
    expect(pixel(d, d.width - 2, Math.floor(d.height / 2))[3]).toBeLessThan(60);
  });

  it('the colour of a two-colour image is their mean, as #rrggbb', async () => {
    const left = await sharp({ create: { width: 50, height: 50, channels: 3, background: '#000000' } })
      .png()
      .toBuffer();
    const img = await sharp({ create: { width: 100, height: 50, channels: 3, background: '#ffffff' } })
      .composite([{ input: left, left: 0, top: 0 }])
      .png()
      .toBuffer();
    expect(placeholderOf(await thumbnailOf(img)).color).toBe(hex([128, 128, 128]));
  });
});

describe('meanColour', () => {
  it('weights by alpha, and a fully transparent image is #000000', () => {
    // Opaque red, opaque blue, transparent green.
    const rgba = Uint8Array.from([255, 0, 0, 255, 0, 0, 255, 255, 0, 255, 0, 0]);
    expect(meanColour(rgba)).toBe('#800080');
    expect(meanColour(Uint8Array.from([10, 20, 30, 255, 200, 200, 200, 0]))).toBe('#0a141e');
    expect(meanColour(Uint8Array.from([255, 255, 255, 0]))).toBe('#000000');
  });
});
