/** Background colours: the `bg` option (lower-case `rrggbb` / `rrggbbaa`) as sharp colours. */

export interface Rgba {
  r: number;
  g: number;
  b: number;
  /** 0 (transparent) .. 1 (opaque), as sharp expects. */
  alpha: number;
}

export const WHITE: Rgba = { r: 255, g: 255, b: 255, alpha: 1 };
export const TRANSPARENT: Rgba = { r: 0, g: 0, b: 0, alpha: 0 };

/** Parses `rrggbb` or `rrggbbaa` (the options parser has already validated it). */
export function parseBg(hex: string): Rgba {
  const h = hex.startsWith('#') ? hex.slice(1) : hex;
  if (!/^[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$/.test(h)) throw new TypeError(`bad background colour: ${hex}`);
  const byte = (i: number) => Number.parseInt(h.slice(i, i + 2), 16);
  return { r: byte(0), g: byte(2), b: byte(4), alpha: h.length === 8 ? byte(6) / 255 : 1 };
}

export function isOpaque(colour: Rgba): boolean {
  return colour.alpha >= 1;
}

export function opaque(colour: Rgba): Rgba {
  return { ...colour, alpha: 1 };
}
