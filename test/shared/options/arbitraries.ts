/**
 * fast-check generators for image options: each option comes with a typed value (already normalized)
 * and a random valid *spelling* of it (alias or short key, `1.50` for 1.5, `FFF` for ffffff…),
 * so properties can check that every spelling of the same options lands on one canonical form.
 * The expectations here are written out independently of shared/options/spec.ts on purpose.
 */
import fc from 'fast-check';
import { FITS, FORMAT_OPTIONS, GRAVITIES, type ImageOptions } from '../../../shared/options/index.js';

export type Key = keyof ImageOptions;
export interface Spelled {
  key: Key;
  name: string;
  value: ImageOptions[Key];
  text: string;
  /** The spelling in the query form when it may differ (`crop=1,2,3,4`: `,` only in a query). */
  queryText?: string;
}

/** The contract's defaults (DESIGN.md + issue 2), restated so a changed table fails the tests. */
export const DEFAULTS: Partial<Record<Key, unknown>> = {
  fit: 'inside',
  g: 'center',
  f: 'auto',
  dpr: 1,
  sharpen: 0,
  rot: 0,
  anim: true,
  enlarge: false,
  pad: [0, 0, 0, 0],
};

export const CANONICAL_ORDER: readonly Key[] = [
  'w',
  'h',
  'fit',
  'g',
  'f',
  'q',
  'dpr',
  'blur',
  'sharpen',
  'rot',
  'flip',
  'bg',
  'trim',
  'crop',
  'pad',
  'anim',
  'enlarge',
  'wm',
];

const ALIASES: Partial<Record<Key, string>> = {
  w: 'width',
  h: 'height',
  g: 'gravity',
  f: 'format',
  q: 'quality',
  rot: 'rotate',
  bg: 'background',
  pad: 'padding',
  wm: 'watermark',
};

const int = (min: number, max: number) =>
  fc.integer({ min, max }).map((n) => ({ value: n, text: String(n) }));

/** Thousandths in range, spelled shortest (`1.5`), padded (`1.500`) or with one zero (`2.0`). */
const decimal = (min: number, max: number) =>
  fc
    .tuple(fc.integer({ min: Math.round(min * 1000), max: Math.round(max * 1000) }), fc.nat(3))
    .map(([m, style]) => {
      const value = m / 1000;
      const texts = [
        String(value),
        value.toFixed(3),
        Number.isInteger(value) ? value.toFixed(1) : String(value),
      ];
      return { value, text: texts[style % texts.length] as string };
    });

const oneOf = <T extends string | number>(...values: T[]) =>
  fc.constantFrom(...values).map((v) => ({ value: v, text: String(v) }));

const hexByte = fc.integer({ min: 0, max: 255 });
const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** A colour with optional alpha, spelled long/short, lower/upper case, with or without `ff` alpha. */
const colour = fc
  .tuple(fc.tuple(hexByte, hexByte, hexByte), fc.option(hexByte), fc.boolean(), fc.boolean(), fc.boolean())
  .map(([[r, g, b], alpha, short, upper, explicitOpaque]) => {
    const a = alpha ?? 255;
    const value = `${hex2(r)}${hex2(g)}${hex2(b)}${a === 255 ? '' : hex2(a)}`;
    let text = `${hex2(r)}${hex2(g)}${hex2(b)}${a === 255 && !explicitOpaque ? '' : hex2(a)}`;
    const pairs = text.match(/../g) as string[];
    if (short && pairs.every((p) => p[0] === p[1])) text = pairs.map((p) => p[0]).join('');
    return { value, text: upper ? text.toUpperCase() : text };
  });

/** A fraction 0..1 in thousandths, spelled shortest (`0.25`) or padded (`0.250`, `1.000`). */
const fraction = fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.boolean()).map(([m, padded]) => ({
  value: m / 1000,
  text: padded ? (m / 1000).toFixed(3) : String(m / 1000),
}));

/** A focal point `<x>x<y>`; its centre 0.5x0.5 is the named `center`. */
const focalPoint = fc.tuple(fraction, fraction).map(([x, y]) => ({
  value: x.value === 0.5 && y.value === 0.5 ? 'center' : `${x.value}x${y.value}`,
  text: `${x.text}x${y.text}`,
}));

/**
 * Integers joined by `:` (the query form may join them by `,` instead); `shorthand`: four equal
 * numbers are now and then spelled as one, and one number stands for four.
 */
const ints = (mins: readonly number[], max: number, shorthand = false) =>
  fc
    .tuple(
      fc.oneof(
        fc.tuple(...mins.map((min) => fc.integer({ min, max }))),
        fc.integer({ min: Math.max(...mins), max }).map((n) => mins.map(() => n)),
      ),
      fc.boolean(),
      fc.boolean(),
    )
    .map(([values, one, comma]) => {
      const same = values.every((v) => v === values[0]);
      const parts = shorthand && same && one ? [String(values[0])] : values.map(String);
      return { value: values, text: parts.join(':'), queryText: parts.join(comma ? ',' : ':') };
    });
/** A watermark name: lower-case `[a-z0-9][a-z0-9_-]{0,31}` (spelled one way only: names are exact). */
const watermarkName = fc
  .stringMatching(/^[a-z0-9][a-z0-9_-]{0,31}$/)
  .map((name) => ({ value: name, text: name }));

const bool = fc.boolean().map((v) => ({ value: v, text: v ? '1' : '0' }));

/** `auto` (client hints) for w and dpr, now and then. */
const auto = fc.constant({ value: 'auto', text: 'auto' });

const VALUES: Record<Key, fc.Arbitrary<{ value: unknown; text: string; queryText?: string }>> = {
  w: fc.oneof({ arbitrary: int(1, 8192), weight: 9 }, { arbitrary: auto, weight: 1 }),
  h: int(1, 8192),
  fit: oneOf(...FITS),
  g: fc.oneof(oneOf(...GRAVITIES), focalPoint),
  f: oneOf(...FORMAT_OPTIONS),
  q: int(1, 100),
  dpr: fc.oneof({ arbitrary: decimal(1, 4), weight: 9 }, { arbitrary: auto, weight: 1 }),
  blur: decimal(0.3, 250),
  sharpen: decimal(0, 10),
  rot: oneOf(0, 90, 180, 270),
  flip: oneOf('h', 'v', 'hv'),
  bg: colour,
  trim: int(1, 100),
  crop: ints([0, 0, 1, 1], 65535),
  pad: ints([0, 0, 0, 0], 1000, true),
  anim: bool,
  enlarge: bool,
  wm: watermarkName,
};

const spelled = (key: Key): fc.Arbitrary<Spelled> =>
  fc.tuple(VALUES[key], fc.boolean()).map(([{ value, text, queryText }, useAlias]) => ({
    key,
    name: useAlias && ALIASES[key] ? (ALIASES[key] as string) : key,
    value: value as ImageOptions[Key],
    text,
    ...(queryText === undefined ? {} : { queryText }),
  }));

/** Options that cannot be given together (crop with trim): a subset keeps the first only. */
const EXCLUSIVE: readonly [Key, Key][] = [['crop', 'trim']];

/** A random subset of the options, each spelled at random, in random order. */
export const spelledOptions: fc.Arbitrary<Spelled[]> = fc
  .subarray([...CANONICAL_ORDER])
  .map((keys) => keys.filter((k) => !EXCLUSIVE.some(([a, b]) => k === b && keys.includes(a))))
  .chain((keys) => (keys.length === 0 ? fc.constant<Spelled[]>([]) : fc.tuple(...keys.map(spelled))))
  .chain((list) => fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }));

export function toOptions(list: readonly Spelled[]): ImageOptions {
  return Object.fromEntries(list.map((s) => [s.key, s.value])) as ImageOptions;
}

export function toPathForm(list: readonly Spelled[]): string {
  return list.map((s) => `${s.name}=${s.text}`).join(',');
}

export function toQuery(list: readonly Spelled[]): URLSearchParams {
  return new URLSearchParams(list.map((s): [string, string] => [s.name, s.queryText ?? s.text]));
}

/** The options with the contract's defaults dropped (what canonicalization must preserve). */
export function dropDefaults(opts: ImageOptions): ImageOptions {
  return Object.fromEntries(
    Object.entries(opts).filter(
      ([k, v]) => v !== undefined && JSON.stringify(DEFAULTS[k as Key]) !== JSON.stringify(v),
    ),
  ) as ImageOptions;
}

export const imageId = fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/);

/** Arbitrary ImageOptions objects (values already normalized), for the canonicalize properties. */
export const imageOptions: fc.Arbitrary<ImageOptions> = spelledOptions.map(toOptions);
