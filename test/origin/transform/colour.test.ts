/**
 * Background/flatten, colour space and metadata: jpeg flattens onto bg or white; CMYK, 16-bit and
 * wide-gamut sources come out 8-bit sRGB; EXIF and other metadata are stripped, only an sRGB
 * ICC profile may remain.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { transform } from '../../../origin/transform/index.js';
import {
  alphaPng,
  cmykJpeg,
  displayP3Jpeg,
  orientation6Jpeg,
  photoJpeg,
  png16,
  RED,
  WHITE,
} from '../../support/images.js';
import { expectPixel, iccDescription, pixelAt, sniff } from './helpers.js';

const TRANSPARENT_AT: [number, number] = [150, 50]; // alphaPng: right half transparent

describe('background / flatten', () => {
  it('jpeg output flattens transparency onto white by default', async () => {
    const out = await transform({ input: await alphaPng(), options: { f: 'jpeg' } });
    expect(out.hasAlpha).toBe(false);
    const meta = await sniff(out.data);
    expect([meta.format, meta.hasAlpha, meta.channels]).toEqual(['jpeg', false, 3]);
    await expectPixel(out.data, ...TRANSPARENT_AT, WHITE, 8);
    await expectPixel(out.data, 50, 50, RED, 24);
  });

  it('jpeg output flattens onto bg', async () => {
    const out = await transform({ input: await alphaPng(), options: { f: 'jpeg', bg: '2060c0' } });
    await expectPixel(out.data, ...TRANSPARENT_AT, { r: 0x20, g: 0x60, b: 0xc0 }, 16);
  });

  it('jpeg ignores the alpha of bg (no alpha to keep)', async () => {
    const out = await transform({ input: await alphaPng(), options: { f: 'jpeg', bg: '2060c000' } });
    await expectPixel(out.data, ...TRANSPARENT_AT, { r: 0x20, g: 0x60, b: 0xc0 }, 16);
  });

  it('png keeps transparency without bg', async () => {
    const out = await transform({ input: await alphaPng(), options: { f: 'png' } });
    expect(out.hasAlpha).toBe(true);
    expect((await sniff(out.data)).hasAlpha).toBe(true);
    expect((await pixelAt(out.data, ...TRANSPARENT_AT))[3]).toBe(0);
  });

  it('an opaque bg flattens even where alpha could be kept', async () => {
    const out = await transform({ input: await alphaPng(), options: { f: 'png', bg: '2060c0' } });
    expect(out.hasAlpha).toBe(false);
    expect((await sniff(out.data)).hasAlpha).toBe(false);
    await expectPixel(out.data, ...TRANSPARENT_AT, { r: 0x20, g: 0x60, b: 0xc0 }, 0);
  });

  it('a translucent bg does not flatten; it pads contain', async () => {
    const out = await transform({
      input: await alphaPng(),
      options: { f: 'png', bg: '2060c080', w: 100, h: 100, fit: 'contain' },
    });
    // 200×100 scaled to 100×50 and padded to 100×100: bands of 25 px above and below.
    expect([out.width, out.height]).toEqual([100, 100]);
    expect((await sniff(out.data)).hasAlpha).toBe(true);
    expect((await pixelAt(out.data, 75, 50))[3]).toBe(0);
    await expectPixel(out.data, 25, 50, RED, 0);
    await expectPixel(out.data, 50, 10, { r: 0x20, g: 0x60, b: 0xc0, alpha: 0x80 }, 2);
  });

  it('contain pads an alpha source with transparency in an alpha format', async () => {
    const out = await transform({
      input: await alphaPng(),
      options: { f: 'webp', w: 100, h: 100, fit: 'contain' },
    });
    expect([out.width, out.height]).toEqual([100, 100]);
    expect((await pixelAt(out.data, 25, 10))[3]).toBe(0);
    await expectPixel(out.data, 25, 50, RED);
  });

  it('webp of an opaque source has no alpha channel, and says so', async () => {
    const out = await transform({ input: await photoJpeg(64, 48), options: { f: 'webp' } });
    expect(out.hasAlpha).toBe(false);
    expect((await sniff(out.data)).hasAlpha).toBe(false);
  });
});

describe('sRGB', () => {
  it('CMYK JPEG → 3-channel sRGB, red stays red', async () => {
    expect((await sharp(await cmykJpeg()).metadata()).space).toBe('cmyk');
    const out = await transform({ input: await cmykJpeg(), options: { f: 'png' } });
    const meta = await sniff(out.data);
    expect([meta.space, meta.channels, meta.depth]).toEqual(['srgb', 3, 'uchar']);
    const [r, g, b] = await pixelAt(out.data, 60, 40);
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(80);
    expect(b).toBeLessThan(80);
  });

  it.each(['jpeg', 'webp', 'png'] as const)('16-bit PNG → 8-bit %s, same colour', async (f) => {
    expect((await sharp(await png16()).metadata()).depth).toBe('ushort');
    const out = await transform({ input: await png16(), options: { f } });
    const meta = await sniff(out.data);
    expect(meta.depth).toBe('uchar');
    expect(meta.space).toBe('srgb');
    await expectPixel(out.data, 32, 32, { r: 0x33, g: 0x66, b: 0x99 }, 8);
  });

  it('a Display P3 source is converted and tagged sRGB (never keeps its profile)', async () => {
    const source = await sharp(await displayP3Jpeg()).metadata();
    expect(iccDescription(source.icc as Buffer)).toBe('sP3C');
    const out = await transform({ input: await displayP3Jpeg(), options: { f: 'png' } });
    const meta = await sniff(out.data);
    expect(meta.icc).toBeDefined();
    expect(iccDescription(meta.icc as Buffer)).toBe('sRGB');
    // P3 red is outside sRGB: converted, it clips to sRGB red (still red, not re-interpreted).
    await expectPixel(out.data, 32, 32, RED, 8);
  });

  it('an untagged source gets no profile (sRGB by convention, no bytes spent)', async () => {
    const out = await transform({ input: await photoJpeg(64, 48), options: {} });
    expect((await sniff(out.data)).icc).toBeUndefined();
  });
});

describe('metadata stripped', () => {
  it.each(['jpeg', 'webp', 'png', 'avif'] as const)('%s: no EXIF, XMP, IPTC or orientation', async (f) => {
    const source = await sharp(await orientation6Jpeg()).metadata();
    expect(source.exif?.toString('latin1')).toContain('imgedge-test-artist');
    const out = await transform({ input: await orientation6Jpeg(), options: { f } });
    const meta = await sniff(out.data);
    expect(meta.exif).toBe(false);
    expect(meta.xmp).toBe(false);
    expect(meta.iptc).toBe(false);
    expect(meta.orientation).toBeUndefined();
    expect(out.data.includes(Buffer.from('imgedge-test-artist'))).toBe(false);
    if (meta.icc) expect(iccDescription(meta.icc)).toBe('sRGB');
  });
});
