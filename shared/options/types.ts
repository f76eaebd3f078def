/** Types of the image-options grammar (see DESIGN.md, "Public URL grammar"). */

/**
 * `crop` is Cloudflare's: cover the box and crop to it, shrinking only; a side of the source shorter
 * than the box keeps its length (a source smaller than the box comes out at its own size).
 */
export const FITS = ['cover', 'contain', 'fill', 'inside', 'outside', 'crop'] as const;
export type Fit = (typeof FITS)[number];

/** The eight compass points and the centre: where a box (or a watermark) sits. */
export const COMPASS_GRAVITIES = [
  'center',
  'north',
  'northeast',
  'east',
  'southeast',
  'south',
  'southwest',
  'west',
  'northwest',
] as const;

export const GRAVITIES = [...COMPASS_GRAVITIES, 'attention', 'entropy'] as const;
export type Gravity = (typeof GRAVITIES)[number];

/**
 * A focal point `<x>x<y>`: fractions of the source's width and height (0 left/top .. 1 right/bottom,
 * at most 3 decimals, canonical text as for decimals: `0.25x0.75`). Cloudflare's meaning: a crop
 * (cover, crop) is placed so that its own point (x, y) lies on the source's point (x, y), so the point
 * is always in frame and `0x0` keeps the top-left corner. `0.5x0.5` is `center`.
 */
export type FocalPoint = `${number}x${number}`;

/** Formats imgedge can encode. */
export const OUTPUT_FORMATS = ['avif', 'webp', 'jpeg', 'png', 'gif'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/**
 * `json` answers the variant's metadata instead of its bytes (issue 13): it describes what `auto`
 * would serve this client, so it is negotiated like `auto` (see format.ts).
 */
export const FORMAT_OPTIONS = ['auto', ...OUTPUT_FORMATS, 'json'] as const;
export type FormatOption = (typeof FORMAT_OPTIONS)[number];

export const ROTATIONS = [0, 90, 180, 270] as const;
export type Rotation = (typeof ROTATIONS)[number];

export const FLIPS = ['h', 'v', 'hv'] as const;
export type Flip = (typeof FLIPS)[number];

/** Four integers: a `crop` region `[x, y, w, h]` or a `pad` `[top, right, bottom, left]`. */
export type IntQuad = readonly [number, number, number, number];

/**
 * A watermark's name (WATERMARKS, shared/watermarks/config.ts): lower-case, so a name is never a
 * second spelling of another, at most 32 characters.
 */
export const WATERMARK_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/**
 * Parsed, validated options. Every field is optional; an absent field means the default.
 * Canonicalization drops fields equal to their default, so two equal ImageOptions values
 * always produce the same canonical string.
 */
export interface ImageOptions {
  /** `auto`: from client hints, resolved at the edge (client-hints.ts); the origin never sees it. */
  w?: number | 'auto';
  h?: number;
  fit?: Fit;
  g?: Gravity | FocalPoint;
  f?: FormatOption;
  q?: number;
  /** `auto`: from Sec-CH-DPR, resolved at the edge like `w=auto`. */
  dpr?: number | 'auto';
  blur?: number;
  sharpen?: number;
  rot?: Rotation;
  flip?: Flip;
  /** Lower-case hex, `rrggbb` or `rrggbbaa` (alpha `ff` folded away). */
  bg?: string;
  trim?: number;
  /**
   * `[x, y, w, h]`: the region kept, in source pixels after auto-orient, cut before anything else
   * (written `crop=x:y:w:h`). Not with `trim`.
   */
  crop?: IntQuad;
  /**
   * `[top, right, bottom, left]`: padding added around the result, in the pixels of `w`/`h` (so
   * multiplied by `dpr`), filled as `contain` pads (written `pad=t:r:b:l`, or `pad=n` for all four).
   */
  pad?: IntQuad;
  anim?: boolean;
  enlarge?: boolean;
  /** A watermark named in WATERMARKS, composited after resize, before encode. */
  wm?: string;
}

/** Options with client hints resolved (no `auto`): what the origin and its pipeline work on. */
export type ResolvedOptions = ImageOptions & { w?: number; dpr?: number };

/** What the source image is, as far as format negotiation needs to know. */
export interface SourceTraits {
  hasAlpha: boolean;
  animated: boolean;
}
