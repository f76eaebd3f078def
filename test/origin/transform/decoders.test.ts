/**
 * The origin process allows only the loaders of accepted formats. The block is process-wide, so
 * it is checked in child processes (the test's own process still needs SVG to draw test images).
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const child = resolve(import.meta.dirname, 'fixtures/decoders-child.ts');
const decode = (mode: string) =>
  JSON.parse(
    execFileSync(process.execPath, ['--import', 'tsx', child, mode], { encoding: 'utf8' }),
  ) as Record<string, boolean>;

describe('restrictDecoders', () => {
  it('leaves jpeg, png, webp, gif, avif and tiff decodable and blocks SVG', () => {
    const open = decode('open');
    expect(open.svg).toBe(true); // without the restriction libvips would render SVG
    const restricted = decode('restricted');
    expect(restricted).toMatchObject({
      svg: false,
      jpeg: true,
      png: true,
      webp: true,
      gif: true,
      avif: true,
      tiff: true,
    });
  });
});
