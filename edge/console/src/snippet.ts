/**
 * The `<img srcset sizes>` snippet for an image and its options: the candidates come from
 * shared/client/urls.ts `srcset` (the same canonical paths the edge computes), each signed through
 * the API when the edge requires signatures.
 */
import { srcset } from '../../../shared/client/urls.js';
import type { ImageOptions } from '../../../shared/options/types.js';

/** Candidate widths, kept to those below the original's (the edge never upscales by default). */
const WIDTHS = [320, 640, 960, 1280, 1920, 2560];
export const SIZES = '(max-width: 640px) 100vw, 640px';

export function candidateWidths(originalWidth: number): number[] {
  const widths = WIDTHS.filter((w) => w < originalWidth);
  return [...widths, Math.min(originalWidth, WIDTHS.at(-1)!)];
}

export async function imgSnippet(
  id: string,
  options: ImageOptions,
  size: { originalWidth: number; width: number; height: number },
  /** Absolute URL for a canonical path (signed or not). */
  urlFor: (path: string) => Promise<string>,
): Promise<string> {
  // Width descriptors carry the density: srcset refuses dpr (the browser picks it).
  const { dpr: _dpr, ...rest } = options;
  const candidates = (await srcset(id, candidateWidths(size.originalWidth), rest)).split(', ');
  const entries = await Promise.all(
    candidates.map(async (entry) => {
      const space = entry.lastIndexOf(' ');
      return `${await urlFor(entry.slice(0, space))}${entry.slice(space)}`;
    }),
  );
  const src = entries.at(-1)!.split(' ')[0]!;
  const attr = (s: string) => s.replaceAll('&', '&amp;').replaceAll('"', '&quot;');
  return [
    `<img src="${attr(src)}"`,
    `  srcset="${attr(entries.join(', '))}"`,
    `  sizes="${SIZES}"`,
    `  width="${size.width}" height="${size.height}" alt="" loading="lazy" decoding="async">`,
  ].join('\n');
}
