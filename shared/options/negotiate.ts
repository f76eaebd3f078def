/**
 * `f=auto`: pick the output format from the Accept header and, where known, the source.
 *
 * Two steps, so the edge (which does not know the source) and the origin (which does) agree:
 * 1. negotiateFormat(accept) → the capability class avif | webp | jpeg. AVIF and WebP count only
 *    when named explicitly with a weight > 0 (`*\/*` and `image/*` do not imply them). The highest
 *    weight wins; equal weights go avif > webp > jpeg. JPEG is also the fallback when nothing fits.
 * 2. resolveAutoFormat(class, source, anim) applies the source: an animated source with anim
 *    becomes webp when the class is avif or webp (sharp cannot write animated AVIF; every AVIF
 *    client decodes WebP), else gif; a source with alpha keeps avif/webp and gets png instead of
 *    jpeg. negotiateFormat(accept, source, anim) is exactly resolveAutoFormat(class, source, anim).
 */
import { parseAccept, weightOf } from './accept.js';
import type { OutputFormat, SourceTraits } from './types.js';

/** What the edge resolves f=auto to without knowing the source, best first. */
export const FORMAT_CLASSES = ['avif', 'webp', 'jpeg'] as const;
export type FormatClass = (typeof FORMAT_CLASSES)[number];

/** Server preference, best first: breaks ties between equal weights. */

export function negotiateFormat(
  accept: string | null | undefined,
  source?: SourceTraits,
  anim = true,
): OutputFormat {
  const target = negotiateClass(accept);
  return source === undefined ? target : resolveAutoFormat(target, source, anim);
}

/** Step 1 alone: the capability class the Accept header asks for. */
export function negotiateClass(accept: string | null | undefined): FormatClass {
  const ranges = parseAccept(accept);
  const weights: Record<FormatClass, number> = {
    avif: weightOf(ranges, 'image', 'avif', true) ?? 0,
    webp: weightOf(ranges, 'image', 'webp', true) ?? 0,
    jpeg: weightOf(ranges, 'image', 'jpeg') ?? 0,
  };
  const top = Math.max(weights.avif, weights.webp, weights.jpeg);
  // JPEG is the fallback even when refused: an image response beats a 406 for an <img> tag.
  return top === 0 ? 'jpeg' : (FORMAT_CLASSES.find((format) => weights[format] === top) ?? 'jpeg');
}

export function resolveAutoFormat(target: FormatClass, source: SourceTraits, anim = true): OutputFormat {
  if (source.animated && anim) return target === 'jpeg' ? 'gif' : 'webp';
  if (source.hasAlpha && target === 'jpeg') return 'png';
  return target;
}
