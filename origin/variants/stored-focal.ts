/**
 * An image's stored focal point (images/focal.ts) in a variant request. A URL without gravity
 * (`g` absent, or `g=center`, which the canonical form drops) for a cover or crop box is cropped as
 * if it said `g=<x>x<y>` with the stored point. The origin's caches (both tiers) and the ETag are
 * keyed by that resolved canonical form, so a new focal point is a new variant — never a stale one
 * — and two images of the same bytes with different focal points never share a crop.
 *
 * An `f=json` document shows the original's focal point, so it is keyed by the point too, whatever
 * its fit; the image it describes is resolved on its own (without `f`).
 */
import { canonicalize, normalizeOptions } from '../../shared/options/canonical.js';
import { isInfoRequest } from '../../shared/options/format.js';
import { parseOptions } from '../../shared/options/index.js';
import { canonicalPathOf } from '../../shared/options/request.js';
import type { ImageOptions } from '../../shared/options/types.js';
import { type Focal, focalGravity } from '../images/focal.js';
import type { RequestedVariant } from './disk-cache.js';

/**
 * Does a stored focal point place this box? (trim falls back to the centre: geometry.ts.) Not when
 * the URL crops a region itself (`crop=`): the point is a fraction of the whole image and may lie
 * outside that region, so the region's box is centred, as the URL's own choice of pixels asks.
 */
function cropsAroundFocal(options: ImageOptions): boolean {
  return (options.fit === 'cover' || options.fit === 'crop') && options.crop === undefined;
}

/** The options and canonical form a variant is made and cached as, given the image's focal point. */
export function withStoredFocal<R extends { options: ImageOptions; canonical: string }>(
  req: R,
  focal: Focal | null | undefined,
): R {
  if (!focal || req.options.g !== undefined) return req;
  if (!cropsAroundFocal(req.options) && !isInfoRequest(req.options)) return req;
  // Normalized: a stored 0.5x0.5 is `center`, i.e. no gravity, the variant without a focal point.
  const options = normalizeOptions({ ...req.options, g: focalGravity(focal) });
  return { ...req, options, canonical: canonicalize(options) };
}

/**
 * The edge's cache keys (canonical path, format) of image `id`'s variants the origin made (its
 * caches' canonical forms): each one's own, and — when its gravity is `focal`, the image's stored
 * point — the one without gravity, which is what the edge keyed a URL without `g` under. What a
 * delete or a focal change asks the edge to drop.
 */
export function edgeVariantKeys(
  id: string,
  variants: readonly RequestedVariant[],
  focal: Focal | null,
): { path: string; format: string }[] {
  const keys = new Map<string, { path: string; format: string }>();
  for (const v of variants) {
    for (const canonical of edgeCanonicals(v.canonical, focal)) {
      const path = canonicalPathOf(id, canonical);
      keys.set(`${path}\t${v.format}`, { path, format: v.format });
    }
  }
  return [...keys.values()];
}

function edgeCanonicals(canonical: string, focal: Focal | null): string[] {
  if (!focal) return [canonical];
  let options: ImageOptions;
  try {
    options = parseOptions(canonical);
  } catch {
    return [canonical];
  }
  if (options.g !== focalGravity(focal)) return [canonical];
  const { g: _, ...withoutGravity } = options;
  return [canonical, canonicalize(withoutGravity)];
}
