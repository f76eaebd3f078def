/** Types of the image-options grammar (see DESIGN.md, "Public URL grammar"). */

export const FITS = ['cover', 'contain', 'fill', 'inside', 'outside'] as const;
export type Fit = (typeof FITS)[number];

export const GRAVITIES = [
  'center',
  'north',
  'northeast',
  'east',
  'southeast',
  'south',
  'southwest',
  'west',
  'northwest',
  'attention',
  'entropy',
] as const;
export type Gravity = (typeof GRAVITIES)[number];

/** Formats imgedge can encode. */
export const OUTPUT_FORMATS = ['avif', 'webp', 'jpeg', 'png', 'gif'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const FORMAT_OPTIONS = ['auto', ...OUTPUT_FORMATS] as const;
export type FormatOption = (typeof FORMAT_OPTIONS)[number];

export const ROTATIONS = [0, 90, 180, 270] as const;
export type Rotation = (typeof ROTATIONS)[number];

export const FLIPS = ['h', 'v', 'hv'] as const;
export type Flip = (typeof FLIPS)[number];

/**
 * Parsed, validated options. Every field is optional; an absent field means the default.
 * Canonicalization drops fields equal to their default, so two equal ImageOptions values
 * always produce the same canonical string.
 */
export interface ImageOptions {
  w?: number;
  h?: number;
  fit?: Fit;
  g?: Gravity;
  f?: FormatOption;
  q?: number;
  dpr?: number;
  blur?: number;
  sharpen?: number;
  rot?: Rotation;
  flip?: Flip;
  /** Lower-case hex, `rrggbb` or `rrggbbaa` (alpha `ff` folded away). */
  bg?: string;
  trim?: number;
  anim?: boolean;
  enlarge?: boolean;
}

/** What the source image is, as far as format negotiation needs to know. */
export interface SourceTraits {
  hasAlpha: boolean;
  animated: boolean;
}
