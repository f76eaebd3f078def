/**
 * Image URLs for apps: `imageUrl`, `srcset` and a `next/image` loader that write exactly the
 * canonical path the edge computes (so one image is one cache entry, and a signature made here
 * verifies there).
 *
 * No dependencies beyond Web-standard APIs (Web Crypto for signing): it runs in browsers, Node,
 * Deno, Bun and Workers. It imports two modules of this repository on purpose, the options grammar
 * (shared/options/: the canonical key order, the defaults dropped, the value ranges) and the
 * signature (shared/signature.ts): a copy of either would drift as options are added. To use it
 * outside this repository, copy `shared/` (these modules import nothing else but `shared/errors.ts`).
 *
 * Options are the typed, short-key ImageOptions (`{ w: 800, fit: 'cover', anim: false }`); a value
 * outside the grammar throws the same `invalid_option` ImgedgeError the edge would answer with.
 */
import { canonicalize } from '../options/canonical.js';
import { canonicalPathOf, IMAGE_ID } from '../options/request.js';
import type { ImageOptions } from '../options/types.js';
import { signPath } from '../signature.js';

export interface UrlSettings {
  /** The edge's origin, e.g. `https://img.example.com` (default '': a root-relative URL). */
  base?: string;
  /**
   * SIGNING_KEY: adds `?sig=`. Only where the key is secret (a server, a build step): never ship
   * it to browsers. Needed for any option beyond a format under SIGNED_URLS=presets-free.
   */
  signingKey?: string;
}

function checkId(id: string): void {
  if (!IMAGE_ID.test(id)) throw new TypeError(`not an image id: ${JSON.stringify(id)}`);
}

function trimBase(base = ''): string {
  return base.replace(/\/+$/, '');
}

/** The canonical path `/img/<options>/<id>` (`/img/<id>` with none): the text a signature covers. */
export function imagePath(id: string, options: ImageOptions = {}): string {
  checkId(id);
  return canonicalPathOf(id, canonicalize(options));
}

/** The image's URL: base + canonical path, signed when given a key (hence async). */
export async function imageUrl(
  id: string,
  options: ImageOptions = {},
  settings: UrlSettings = {},
): Promise<string> {
  const path = imagePath(id, options);
  const url = `${trimBase(settings.base)}${path}`;
  return settings.signingKey === undefined ? url : `${url}?sig=${await signPath(path, settings.signingKey)}`;
}

/**
 * A `srcset` with width descriptors: one URL per width (sorted, duplicates dropped), each with
 * `w` set to that width. A given `h` is scaled with `w`, so a `w`+`h` box keeps its aspect ratio
 * in every candidate (`h` without `w` cannot be). `dpr` is refused: width descriptors already
 * tell the browser the pixel density. The edge never upscales without `enlarge=1`, so a width
 * past the original's is served at the original's size.
 */
export async function srcset(
  id: string,
  widths: readonly number[],
  options: ImageOptions = {},
  settings: UrlSettings = {},
): Promise<string> {
  if (widths.length === 0) throw new TypeError('srcset needs at least one width');
  if (options.dpr !== undefined && options.dpr !== 1) {
    throw new TypeError('srcset writes width descriptors: leave dpr out (the browser picks the density)');
  }
  // Each candidate sets its own w; a w=auto given here is replaced like any w (but is no box for h).
  const baseW = options.w === 'auto' ? undefined : options.w;
  if (options.h !== undefined && baseW === undefined) {
    throw new TypeError('srcset scales h with w: give w too (the box whose aspect ratio to keep)');
  }
  const sorted = [...new Set(widths)].sort((a, b) => a - b);
  const entries = await Promise.all(
    sorted.map(async (w) => {
      const sized: ImageOptions = { ...options, w };
      if (options.h !== undefined && baseW !== undefined) {
        sized.h = Math.max(1, Math.round((options.h * w) / baseW));
      }
      return `${await imageUrl(id, sized, settings)} ${w}w`;
    }),
  );
  return entries.join(', ');
}

/** What next/image passes a custom loader. */
export interface NextImageLoaderProps {
  /** The `src` given to `<Image>`: the image id. */
  src: string;
  width: number;
  quality?: number | undefined;
}

/**
 * A `next/image` custom loader (`loader={…}`, or `loaderFile` exporting it): `src` is the image
 * id; `width` becomes `w` and `quality` `q`, over the `options` given here. next/image calls
 * loaders synchronously and also in the browser, where no signing key belongs, so its URLs are
 * unsigned: use it with SIGNED_URLS=off, or sign on the server with `srcset` instead.
 */
export function nextImageLoader(
  settings: { base?: string; options?: ImageOptions } = {},
): (props: NextImageLoaderProps) => string {
  const base = trimBase(settings.base);
  return ({ src, width, quality }) =>
    `${base}${imagePath(src, { ...settings.options, w: width, ...(quality === undefined ? {} : { q: quality }) })}`;
}
