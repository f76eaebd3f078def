/** The mezzanine's levels and the level a variant uses: pure functions of the original's facts. */
import { describe, expect, it } from 'vitest';
import { mezzanineLevel, mezzanineLevels, type OriginalFacts } from '../../../origin/mezzanine/policy.js';

const photo: OriginalFacts = { width: 4000, height: 3000, frames: 1, hasAlpha: false, format: 'jpeg' };
const alpha = (edge: number): OriginalFacts => ({
  width: edge,
  height: edge,
  frames: 1,
  hasAlpha: true,
  format: 'png',
});

describe('mezzanineLevels', () => {
  it('a large photo gets 2048 and 1024 px levels', () => {
    expect(mezzanineLevels(photo)?.map((l) => [l.level, l.width, l.height])).toEqual([
      [2048, 2048, 1536],
      [1024, 1024, 768],
    ]);
  });

  it('an alpha original smaller than 2048 px keeps its size at the top, and gets a lower level only 1.25× below it', () => {
    expect(mezzanineLevels(alpha(2000))?.map((l) => [l.level, l.width, l.scale])).toEqual([
      [2048, 2000, 1],
      [1024, 1024, 0.512],
    ]);
    expect(mezzanineLevels(alpha(1100))?.map((l) => [l.level, l.width])).toEqual([[2048, 1100]]);
  });

  it('small, opaque-and-near-2048 and animated originals get none', () => {
    expect(mezzanineLevels(alpha(1024))).toBeUndefined();
    expect(mezzanineLevels({ ...photo, width: 2400, height: 1600 })).toBeUndefined();
    expect(mezzanineLevels({ ...photo, frames: 3 })).toBeUndefined();
  });
});

describe('mezzanineLevel', () => {
  const levelOf = (options: Parameters<typeof mezzanineLevel>[1], facts = photo) =>
    mezzanineLevel(facts, options)?.level ?? 'original';

  it('picks the smallest level holding 1.1× the pixels, below the top only when it fills half of it', () => {
    expect(levelOf({ w: 930 })).toBe(1024);
    expect(levelOf({ w: 512 })).toBe(1024);
    expect(levelOf({ w: 400, dpr: 2 })).toBe(1024);
    expect(levelOf({ w: 940 })).toBe(2048);
    expect(levelOf({ w: 500 })).toBe(2048);
    expect(levelOf({ w: 320 })).toBe(2048);
    expect(levelOf({ w: 1861 })).toBe(2048);
    expect(levelOf({ w: 1862 })).toBe('original');
    expect(levelOf({ w: 800 }, alpha(2000))).toBe(1024);
    expect(levelOf({ w: 1800 }, alpha(2000))).toBe(2048);
    expect(levelOf({ w: 1900 }, alpha(2000))).toBe('original');
  });

  it('trim, crop and no resize use the original', () => {
    expect(levelOf({ w: 800, trim: 10 })).toBe('original');
    expect(levelOf({ w: 800, crop: [0, 0, 2000, 1500] })).toBe('original');
    expect(levelOf({})).toBe('original');
  });
});
