/**
 * Client hints (issue 13): `w=auto` and `dpr=auto` are resolved at the edge from the request's
 * Sec-CH-Width, Sec-CH-Viewport-Width and Sec-CH-DPR headers into plain numbers, which then form the
 * canonical path — the cache key at both tiers and the origin's request. The origin never sees
 * `auto`, and no hint header reaches it: a hint changes the bytes only through the key.
 *
 * - `w=auto`: the physical width is Sec-CH-Width (already in device pixels), else
 *   Sec-CH-Viewport-Width × density, else FALLBACK_WIDTH × density (density: an explicit `dpr`, else
 *   Sec-CH-DPR, else 1). It is rounded UP to WIDTH_LADDER (anything above the top step is the top
 *   step), so an image has at most WIDTH_LADDER.length auto widths; the density is folded into the
 *   width, so `dpr` is dropped.
 * - `dpr=auto` (with a numeric or no `w`): Sec-CH-DPR clamped to 1..4, rounded up to DPR_LADDER;
 *   1 without the hint.
 * - `Save-Data: on` (for a URL with `auto`): quality is lowered, `q` → round(q × 0.6) (at least 1),
 *   no `q` → SAVE_DATA_QUALITY (below every format's default quality).
 * A malformed, zero or out-of-range hint is ignored (treated as absent). `vary` lists exactly the
 * headers the resolution consulted, for the response's `Vary`.
 */
import { ImgedgeError } from '../errors.js';
import type { ImageOptions, ResolvedOptions } from './types.js';

/** The hints the edge asks browsers for (its `Accept-CH`). */
export const ACCEPT_CH = 'Sec-CH-DPR, Sec-CH-Width, Sec-CH-Viewport-Width';

/** Widths `w=auto` resolves to (device pixels), rounding up. */
export const WIDTH_LADDER = [160, 320, 480, 640, 768, 1024, 1280, 1536, 1920, 2560, 3840] as const;

/** Densities `dpr=auto` resolves to, rounding up. */
export const DPR_LADDER = [1, 1.5, 2, 3, 4] as const;

/** `w=auto` without Sec-CH-Width or Sec-CH-Viewport-Width: this many CSS pixels × density. */
export const FALLBACK_WIDTH = 1080;

/** The quality of a Save-Data request that gave no `q`. */
export const SAVE_DATA_QUALITY = 45;

/** The factor applied to a given `q` under Save-Data. */
export const SAVE_DATA_FACTOR = 0.6;

export const HINT_HEADERS = {
  width: 'Sec-CH-Width',
  viewportWidth: 'Sec-CH-Viewport-Width',
  dpr: 'Sec-CH-DPR',
  saveData: 'Save-Data',
} as const;

/** Reads one request header (undefined when absent). */
export type HeaderReader = (name: string) => string | null | undefined;

export interface ResolvedHints {
  /** The options with every `auto` replaced (and q lowered under Save-Data). */
  options: ResolvedOptions;
  /** The request headers the result depends on, in a stable order ([] when the URL has no `auto`). */
  vary: string[];
}

const PIXELS = /^[1-9][0-9]{0,4}$/;
const DECIMAL = /^[0-9]{1,2}(?:\.[0-9]{1,6})?$/;

/** Whether the options ask for client hints (`w=auto` or `dpr=auto`). */
export function usesClientHints(options: ImageOptions): boolean {
  return options.w === 'auto' || options.dpr === 'auto';
}

/** The smallest ladder step ≥ value (the top step when value is above it). */
export function ladderUp(ladder: readonly number[], value: number): number {
  return ladder.find((step) => step >= value) ?? (ladder.at(-1) as number);
}

export function resolveClientHints(options: ImageOptions, header: HeaderReader): ResolvedHints {
  if (!usesClientHints(options)) return { options: assertResolved(options), vary: [] };
  const used = new Set<string>();
  const read = (name: string): string | undefined => {
    used.add(name);
    return header(name)?.trim() || undefined;
  };
  const deviceDpr = (): number => {
    const text = read(HINT_HEADERS.dpr);
    const n = text !== undefined && DECIMAL.test(text) ? Number(text) : 0;
    return n > 0 ? Math.min(4, Math.max(1, n)) : 1;
  };
  const pixels = (name: string): number | undefined => {
    const text = read(name);
    return text !== undefined && PIXELS.test(text) ? Number(text) : undefined;
  };

  const out: ImageOptions = { ...options };
  if (options.w === 'auto') {
    const density = (): number => (typeof options.dpr === 'number' ? options.dpr : deviceDpr());
    const physical =
      pixels(HINT_HEADERS.width) ??
      ((): number => {
        const css = pixels(HINT_HEADERS.viewportWidth) ?? FALLBACK_WIDTH;
        return css * density();
      })();
    out.w = ladderUp(WIDTH_LADDER, physical);
    delete out.dpr;
  } else if (options.dpr === 'auto') {
    out.dpr = ladderUp(DPR_LADDER, deviceDpr());
  }
  if (read(HINT_HEADERS.saveData)?.toLowerCase() === 'on') {
    out.q =
      options.q === undefined ? SAVE_DATA_QUALITY : Math.max(1, Math.round(options.q * SAVE_DATA_FACTOR));
  }
  const order = Object.values(HINT_HEADERS) as string[];
  return { options: assertResolved(out), vary: order.filter((name) => used.has(name)) };
}

/** The options as the origin takes them: an `auto` left in them is a 400 (the edge resolves it). */
export function assertResolved(options: ImageOptions): ResolvedOptions {
  for (const key of ['w', 'dpr'] as const) {
    if (options[key] === 'auto') {
      throw new ImgedgeError('invalid_option', `${key}=auto is resolved at the edge from client hints`, {
        extra: { key, value: 'auto', allowed: 'a number (the edge resolves auto)' },
      });
    }
  }
  return options as ResolvedOptions;
}
