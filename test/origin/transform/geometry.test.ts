/** planResize and the rot/flip mapping, as pure functions (the golden tests check sharp agrees). */
import { describe, expect, it } from 'vitest';
import {
  MAX_OUTPUT_SIDE,
  outputPixels,
  planResize,
  rotatesFirst,
  sharpFlip,
} from '../../../origin/transform/geometry.js';
import type { ImageOptions } from '../../../shared/options/types.js';

const plan = (srcWidth: number, srcHeight: number, options: ImageOptions) =>
  planResize({ srcWidth, srcHeight, options });

describe('planResize', () => {
  it('passes a source through when nothing is asked and it is within the cap', () => {
    expect(plan(6000, 4000, {})).toBeUndefined();
    expect(plan(9000, 100, {})).toEqual({ width: MAX_OUTPUT_SIDE, height: MAX_OUTPUT_SIDE, fit: 'inside' });
  });

  it('one side: scaled to it, the other capped by an inside box, clamped to the source', () => {
    expect(plan(600, 400, { w: 300 })).toEqual({ width: 300, height: MAX_OUTPUT_SIDE, fit: 'inside' });
    expect(plan(600, 400, { h: 300, fit: 'cover' })).toEqual({
      width: MAX_OUTPUT_SIDE,
      height: 300,
      fit: 'inside',
    });
    expect(plan(600, 400, { w: 900 })).toEqual({ width: 600, height: MAX_OUTPUT_SIDE, fit: 'inside' });
    expect(plan(600, 400, { w: 900, enlarge: true })).toEqual({
      width: 900,
      height: MAX_OUTPUT_SIDE,
      fit: 'inside',
    });
  });

  it('dpr multiplies, then the box is clamped whole for cover/contain/fill', () => {
    expect(plan(600, 400, { w: 100, h: 100, fit: 'cover', dpr: 2 })).toEqual({
      width: 200,
      height: 200,
      fit: 'cover',
    });
    expect(plan(600, 400, { w: 300, h: 300, fit: 'cover', dpr: 2 })).toEqual({
      width: 400,
      height: 400,
      fit: 'cover',
    });
    expect(plan(600, 400, { w: 300, h: 300, fit: 'contain', dpr: 2, enlarge: true })).toEqual({
      width: 600,
      height: 600,
      fit: 'contain',
    });
    expect(plan(600, 400, { w: 333, h: 100, fit: 'fill', dpr: 1.5 })).toEqual({
      width: 500,
      height: 150,
      fit: 'fill',
    });
  });

  it('caps at 8192 per side keeping the box aspect', () => {
    expect(plan(100, 100, { w: 8000, h: 4000, dpr: 4, fit: 'cover', enlarge: true })).toEqual({
      width: 8192,
      height: 4096,
      fit: 'cover',
    });
    // outside covers the box: 100×8000 to cover 8192×100 would be 8192 × 655 360.
    // The box shrinks by 8192/655 360 → 102×1, which sharp turns into 102×8160.
    expect(plan(100, 8000, { w: 8192, h: 100, fit: 'outside', enlarge: true })).toEqual({
      width: 102,
      height: 1,
      fit: 'outside',
    });
  });

  it('quarter turns: the box in un-rotated axes, except cover/contain which rotate first', () => {
    expect(plan(600, 400, { w: 150, h: 100, fit: 'fill', rot: 90 })).toEqual({
      width: 100,
      height: 150,
      fit: 'fill',
    });
    expect(plan(600, 400, { w: 150, rot: 270 })).toEqual({
      width: MAX_OUTPUT_SIDE,
      height: 150,
      fit: 'inside',
    });
    expect(plan(600, 400, { w: 150, h: 100, fit: 'cover', rot: 90 })).toEqual({
      width: 150,
      height: 100,
      fit: 'cover',
    });
    // Clamped in the rotated frame: 400×600 after the turn.
    expect(plan(600, 400, { w: 800, h: 800, fit: 'cover', rot: 90 })).toEqual({
      width: 400,
      height: 400,
      fit: 'cover',
    });
    expect(plan(600, 400, { w: 500, h: 1000, fit: 'cover', rot: 90 })).toEqual({
      width: 300,
      height: 600,
      fit: 'cover',
    });
  });
});

describe('planResize: fit=crop and focal points', () => {
  it('crop is a cover box that never enlarges; a side shorter than the box keeps its length', () => {
    expect(plan(600, 400, { w: 300, h: 300, fit: 'crop' })).toEqual({
      width: 300,
      height: 300,
      fit: 'cover',
    });
    expect(plan(600, 400, { w: 800, h: 800, fit: 'crop' })).toEqual({
      width: 600,
      height: 400,
      fit: 'cover',
    });
    expect(plan(600, 400, { w: 500, h: 800, fit: 'crop' })).toEqual({
      width: 500,
      height: 400,
      fit: 'cover',
    });
    expect(plan(600, 400, { w: 800, h: 800, fit: 'crop', enlarge: true })).toEqual({
      width: 600,
      height: 400,
      fit: 'cover',
    });
    // 9000×20 covering 9000×20 stays under the cap, keeping its aspect.
    expect(plan(9000, 20, { w: 9000, h: 20, fit: 'crop' })).toEqual({
      width: 8192,
      height: 18,
      fit: 'cover',
    });
  });

  it('a focal point: resize to the covering size, then the box at x·(image − box), y·(image − box)', () => {
    expect(plan(600, 400, { w: 300, h: 300, fit: 'cover', g: '0x0' })).toEqual({
      width: 450,
      height: 300,
      fit: 'fill',
      extract: { left: 0, top: 0, width: 300, height: 300 },
    });
    expect(plan(600, 400, { w: 300, h: 300, fit: 'cover', g: '1x1' })?.extract).toEqual({
      left: 150,
      top: 0,
      width: 300,
      height: 300,
    });
    expect(plan(900, 900, { w: 300, h: 900, fit: 'crop', g: '0.33x0.5' })?.extract).toEqual({
      left: 198,
      top: 0,
      width: 300,
      height: 900,
    });
    // After a half turn the point is on the other side.
    expect(plan(600, 400, { w: 300, h: 300, fit: 'cover', g: '0x0', rot: 180 })?.extract?.left).toBe(150);
    // Mirrored left-right after a quarter turn: (0, 0) → (1, 0) → (0, 0).
    expect(plan(600, 400, { w: 300, h: 300, fit: 'cover', g: '0x0', rot: 90, flip: 'h' })?.extract).toEqual({
      left: 0,
      top: 0,
      width: 300,
      height: 300,
    });
  });

  it('no extract where nothing is cropped, or with trim (the centre then)', () => {
    expect(plan(600, 400, { w: 300, h: 300, fit: 'contain', g: '0x0' })).toEqual({
      width: 300,
      height: 300,
      fit: 'contain',
    });
    expect(plan(600, 400, { w: 300, g: '0x0' })?.extract).toBeUndefined();
    expect(plan(600, 400, { w: 300, h: 300, fit: 'cover', g: '0x0', trim: 10 })).toEqual({
      width: 300,
      height: 300,
      fit: 'cover',
    });
  });
});

describe('rotate/flip mapping', () => {
  it('rotates first only for a quarter turn with a cover/contain/crop box', () => {
    expect(rotatesFirst({ rot: 90, w: 10, h: 10, fit: 'cover' })).toBe(true);
    expect(rotatesFirst({ rot: 90, w: 10, h: 10, fit: 'crop' })).toBe(true);
    expect(rotatesFirst({ rot: 270, w: 10, h: 10, fit: 'contain' })).toBe(true);
    expect(rotatesFirst({ rot: 180, w: 10, h: 10, fit: 'cover' })).toBe(false);
    expect(rotatesFirst({ rot: 90, w: 10, fit: 'cover' })).toBe(false);
    expect(rotatesFirst({ rot: 90, w: 10, h: 10 })).toBe(false);
  });

  it('swaps the mirror axes for a quarter turn (sharp mirrors before rotating)', () => {
    expect(sharpFlip({ flip: 'h' })).toEqual({ flip: false, flop: true });
    expect(sharpFlip({ flip: 'v', rot: 180 })).toEqual({ flip: true, flop: false });
    expect(sharpFlip({ flip: 'h', rot: 90 })).toEqual({ flip: true, flop: false });
    expect(sharpFlip({ flip: 'hv', rot: 270 })).toEqual({ flip: true, flop: true });
  });
});

describe('outputPixels', () => {
  it('is the real output area for every fit, not the resize box', () => {
    expect(outputPixels(4000, 3000, {})).toBe(12_000_000);
    expect(outputPixels(4000, 3000, { w: 1000 })).toBe(1000 * 750);
    expect(outputPixels(4000, 3000, { h: 300 })).toBe(400 * 300);
    expect(outputPixels(4000, 3000, { w: 800, h: 800 })).toBe(800 * 600);
    expect(outputPixels(4000, 3000, { w: 800, h: 800, fit: 'cover' })).toBe(800 * 800);
    expect(outputPixels(4000, 3000, { w: 800, h: 800, fit: 'outside' })).toBe(1067 * 800);
    expect(outputPixels(400, 300, { w: 800 })).toBe(400 * 300);
    expect(outputPixels(400, 300, { w: 800, enlarge: true })).toBe(800 * 600);
    expect(outputPixels(4000, 3000, { w: 800, rot: 90 })).toBe(800 * 1067);
    expect(outputPixels(4000, 3000, { w: 800, h: 800, fit: 'cover', g: '0.2x0.8' })).toBe(800 * 800);
    expect(outputPixels(400, 300, { w: 800, h: 800, fit: 'crop' })).toBe(400 * 300);
  });
});
