import { describe, expect, it } from 'vitest';
import type { WatermarkPlan } from '../../../origin/transform/types.js';
import { layoutWatermark } from '../../../origin/transform/watermark-layout.js';
import { WATERMARK_DEFAULTS } from '../../../shared/watermarks/index.js';

const plan = (p: Partial<WatermarkPlan>): WatermarkPlan => ({ ...WATERMARK_DEFAULTS, ...p });
const frame = { width: 400, height: 300 };
const image = { width: 80, height: 40 };

describe('layoutWatermark', () => {
  it.each([
    ['northwest', 10, 10],
    ['north', 150, 10],
    ['northeast', 290, 10],
    ['west', 10, 125],
    ['center', 150, 125],
    ['east', 290, 125],
    ['southwest', 10, 240],
    ['south', 150, 240],
    ['southeast', 290, 240],
  ] as const)('%s: margin pixels in from the edges it names', (gravity, left, top) => {
    expect(layoutWatermark(plan({ gravity, margin: 10 }), frame, image)).toEqual({
      width: 100,
      height: 50,
      left,
      top,
    });
  });

  it('keeps the aspect ratio, shrinks to fit a short frame, never leaves the frame', () => {
    expect(layoutWatermark(plan({ scale: 1 }), { width: 400, height: 100 }, image)).toEqual({
      width: 200,
      height: 100,
      left: 200,
      top: 0,
    });
    expect(layoutWatermark(plan({ scale: 0.001 }), frame, image)).toMatchObject({ width: 1, height: 1 });
    expect(layoutWatermark(plan({ margin: 8192 }), frame, image)).toEqual({
      width: 100,
      height: 50,
      left: 0,
      top: 0,
    });
  });

  it('repeat starts the tiling at the top-left corner', () => {
    expect(layoutWatermark(plan({ repeat: true, margin: 10, scale: 0.1 }), frame, image)).toEqual({
      width: 40,
      height: 20,
      left: 0,
      top: 0,
    });
  });
});
