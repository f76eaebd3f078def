/**
 * WATERMARKS: named watermarks, a JSON object of name → definition, e.g.
 * `{"logo":{"image":"AbCdEfGh12","gravity":"southeast","opacity":0.6,"scale":0.2,"margin":16}}`.
 * Both tiers parse it with parseWatermarks (one set of variables feeds both): the edge to refuse an
 * unknown `wm=` before it reaches a cache or the origin (and to check presets that name one), the
 * origin to composite. A definition names an uploaded image by id; the origin reads it once.
 */

import { parseJsonObject } from '../config/json-object.js';
import { ImgedgeError } from '../errors.js';
import { echo } from '../options/describe.js';
import { IMAGE_ID } from '../options/request.js';
import { COMPASS_GRAVITIES, WATERMARK_NAME } from '../options/types.js';

/** Where a watermark sits: the eight compass points or the centre (no smart gravity). */
export const WATERMARK_GRAVITIES = COMPASS_GRAVITIES;
export type WatermarkGravity = (typeof WATERMARK_GRAVITIES)[number];

/** Largest margin, in output pixels (the largest output side). */
export const MAX_WATERMARK_MARGIN = 8192;

export interface Watermark {
  readonly name: string;
  /** The uploaded image drawn (its id). */
  readonly image: string;
  /** Default southeast. */
  readonly gravity: WatermarkGravity;
  /** 0..1, multiplies the image's own alpha. Default 1. */
  readonly opacity: number;
  /** The watermark's width as a fraction of the output's width, (0, 1]. Default 0.25. */
  readonly scale: number;
  /** Output pixels between the watermark and the edges its gravity names; with repeat, between tiles. Default 0. */
  readonly margin: number;
  /** Tile the watermark over the whole output (gravity then unused). Default false. */
  readonly repeat: boolean;
}

export type Watermarks = ReadonlyMap<string, Watermark>;

export const WATERMARK_DEFAULTS = {
  gravity: 'southeast',
  opacity: 1,
  scale: 0.25,
  margin: 0,
  repeat: false,
} as const satisfies Omit<Watermark, 'name' | 'image'>;

const FIELDS = new Set(['image', 'gravity', 'opacity', 'scale', 'margin', 'repeat']);

function entry(name: string, value: unknown): Watermark {
  const fail = (what: string): never => {
    throw new Error(`watermark ${JSON.stringify(name)}: ${what}`);
  };
  if (!WATERMARK_NAME.test(name)) fail(`its name must match ${WATERMARK_NAME.source}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('must be an object such as {"image":"<image id>","gravity":"southeast"}');
  }
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (!FIELDS.has(key))
      fail(`unknown field ${JSON.stringify(echo(key))} (fields: ${[...FIELDS].join(', ')})`);
  }
  if (typeof v.image !== 'string' || !IMAGE_ID.test(v.image)) {
    fail(`image must be an uploaded image's id (${IMAGE_ID.source}), got ${JSON.stringify(v.image)}`);
  }
  const number = (key: string, ok: (n: number) => boolean, range: string, fallback: number): number => {
    const n = v[key];
    if (n === undefined) return fallback;
    if (typeof n !== 'number' || !Number.isFinite(n) || !ok(n))
      fail(`${key} must be ${range}, got ${JSON.stringify(n)}`);
    return n as number;
  };
  const gravity = v.gravity ?? WATERMARK_DEFAULTS.gravity;
  if (!(WATERMARK_GRAVITIES as readonly unknown[]).includes(gravity)) {
    fail(`gravity must be one of ${WATERMARK_GRAVITIES.join(', ')}, got ${JSON.stringify(gravity)}`);
  }
  const repeat = v.repeat ?? WATERMARK_DEFAULTS.repeat;
  if (typeof repeat !== 'boolean') fail(`repeat must be true or false, got ${JSON.stringify(repeat)}`);
  return Object.freeze({
    name,
    image: v.image as string,
    gravity: gravity as WatermarkGravity,
    opacity: number('opacity', (n) => n >= 0 && n <= 1, 'a number from 0 to 1', WATERMARK_DEFAULTS.opacity),
    scale: number('scale', (n) => n > 0 && n <= 1, 'a number above 0, at most 1', WATERMARK_DEFAULTS.scale),
    margin: number(
      'margin',
      (n) => Number.isInteger(n) && n >= 0 && n <= MAX_WATERMARK_MARGIN,
      `a whole number of pixels from 0 to ${MAX_WATERMARK_MARGIN}`,
      WATERMARK_DEFAULTS.margin,
    ),
    repeat: repeat as boolean,
  });
}

/** Parses and validates WATERMARKS; throws an Error whose message names the bad entry. */
export function parseWatermarks(json: string): Watermarks {
  if (json.trim() === '') return new Map();
  const record = parseJsonObject(json, 'watermark name → definition', '{"logo":{"image":"<image id>"}}');
  const watermarks = new Map<string, Watermark>();
  for (const [name, value] of Object.entries(record)) watermarks.set(name, entry(name, value));
  return watermarks;
}

/**
 * The one refusal of a `wm=` that WATERMARKS does not define (400 unknown_watermark), at the edge
 * and at the origin. `watermarks` undefined: the caller does not know the names (no check).
 */
export function assertKnownWatermark(name: string | undefined, watermarks: Watermarks | undefined): void {
  if (name === undefined || watermarks === undefined || watermarks.has(name)) return;
  const names = [...watermarks.keys()];
  throw new ImgedgeError(
    'unknown_watermark',
    `unknown watermark ${JSON.stringify(echo(name))}; ${names.length === 0 ? 'no watermarks are configured (WATERMARKS)' : `watermarks are ${names.join(', ')}`}`,
    { extra: { key: 'wm', value: echo(name), allowed: names.join('|') } },
  );
}
