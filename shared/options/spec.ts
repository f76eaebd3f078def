/**
 * The option table: one declarative spec per key, in canonical order. Parsing, validation,
 * error messages and canonicalization are all driven from this table (see values.ts, parse.ts,
 * canonical.ts); adding an option means adding one row here.
 */
import {
  FITS,
  FLIPS,
  FORMAT_OPTIONS,
  GRAVITIES,
  type Gravity,
  type ImageOptions,
  ROTATIONS,
  WATERMARK_NAME,
} from './types.js';

export type OptionKey = keyof ImageOptions;
type Value<K extends OptionKey> = NonNullable<ImageOptions[K]>;

/** Integer, grammar `0|[1-9][0-9]*`, inclusive range. */
export interface IntKind {
  readonly kind: 'int';
  readonly min: number;
  readonly max: number;
  /** The value `auto` is accepted too (client hints, resolved at the edge). */
  readonly auto?: true;
}

/** Decimal, grammar `(0|[1-9][0-9]*)(\.[0-9]{1,3})?`, inclusive range. */
export interface DecimalKind {
  readonly kind: 'decimal';
  readonly min: number;
  readonly max: number;
  /** The value `auto` is accepted too (client hints, resolved at the edge). */
  readonly auto?: true;
}

/** One of a closed list; the text of a value is `String(value)`. */
export interface EnumKind<V> {
  readonly kind: 'enum';
  readonly values: readonly V[];
}

/** Hex colour `rgb`, `rgba`, `rrggbb` or `rrggbbaa`, normalized to lower-case `rrggbb[aa]`. */
export interface HexKind {
  readonly kind: 'hex';
}

/**
 * A named gravity, or a focal point `<x>x<y>`: two numbers from 0 to 1 in the decimal grammar. The
 * canonical text of a point is its two canonical numbers (`0.250x0.7` → `0.25x0.7`); `0.5x0.5` is
 * `center`.
 */
export interface GravityKind {
  readonly kind: 'gravity';
  readonly values: readonly Gravity[];
}

/**
 * A configured name (a watermark): grammar `pattern`, canonical as given. Whether the name is
 * configured is the caller's check (the edge and the origin know WATERMARKS), not the grammar's.
 */
export interface NameKind {
  readonly kind: 'name';
  readonly pattern: RegExp;
  /** The grammar as the `allowed` member and error messages show it. */
  readonly shown: string;
}

/** `0` or `1`. */
export interface BoolKind {
  readonly kind: 'bool';
}

/**
 * A fixed number of integers (`names` says how many and what each is), each in the int grammar and
 * its position's range, separated by `:` — a `,` separates options in the path form, so the
 * query form alone may also separate them by `,` (one separator per value). With `shorthand`, one
 * number stands for all of them. The value is the array; its canonical text is `a:b:c:d`, or the
 * one number when `shorthand` is set and all are equal.
 */
export interface IntsKind {
  readonly kind: 'ints';
  /** What each number is, in order (error messages spell the grammar with them: `x:y:w:h`). */
  readonly names: readonly string[];
  /** Inclusive lower bound of each position. */
  readonly min: readonly number[];
  /** Inclusive upper bound of every position. */
  readonly max: number;
  readonly shorthand?: true;
}

type KindFor<V> = [V] extends [boolean]
  ? BoolKind
  : [V] extends [readonly number[]]
    ? IntsKind
    : [V] extends [number | 'auto']
      ? IntKind | DecimalKind | EnumKind<V>
      : [V] extends [string]
        ? EnumKind<V> | HexKind | GravityKind | NameKind
        : never;

/** A row of the table; the kind must fit the key's type in ImageOptions. */
export type OptionSpec<K extends OptionKey = OptionKey> = {
  [P in K]: {
    /** Canonical (short) key. */
    readonly key: P;
    /** Long names accepted on input and folded to `key`. */
    readonly aliases: readonly string[];
    /** Value meaning "not given"; dropped from the canonical form. */
    readonly default?: Value<P>;
  } & KindFor<Value<P>>;
}[K];

const DIMENSION = { kind: 'int', min: 1, max: 8192 } as const;
const BOOL = { kind: 'bool' } as const;

/** Every option, in canonical order. */
export const OPTION_SPECS: readonly OptionSpec[] = [
  { key: 'w', aliases: ['width'], ...DIMENSION, auto: true },
  { key: 'h', aliases: ['height'], ...DIMENSION },
  { key: 'fit', aliases: [], kind: 'enum', values: FITS, default: 'inside' },
  { key: 'g', aliases: ['gravity'], kind: 'gravity', values: GRAVITIES, default: 'center' },
  { key: 'f', aliases: ['format'], kind: 'enum', values: FORMAT_OPTIONS, default: 'auto' },
  { key: 'q', aliases: ['quality'], kind: 'int', min: 1, max: 100 },
  { key: 'dpr', aliases: [], kind: 'decimal', min: 1, max: 4, default: 1, auto: true },
  { key: 'blur', aliases: [], kind: 'decimal', min: 0.3, max: 250 },
  { key: 'sharpen', aliases: [], kind: 'decimal', min: 0, max: 10, default: 0 },
  { key: 'rot', aliases: ['rotate'], kind: 'enum', values: ROTATIONS, default: 0 },
  { key: 'flip', aliases: [], kind: 'enum', values: FLIPS },
  { key: 'bg', aliases: ['background'], kind: 'hex' },
  { key: 'trim', aliases: [], kind: 'int', min: 1, max: 100 },
  // Source pixels: 65535 is the largest side a JPEG, GIF or WebP can have.
  { key: 'crop', aliases: [], kind: 'ints', names: ['x', 'y', 'w', 'h'], min: [0, 0, 1, 1], max: 65535 },
  // Pixels of w/h (× dpr ≤ 4): the padded output stays under WebP's 16383 px per side.
  {
    key: 'pad',
    aliases: ['padding'],
    kind: 'ints',
    names: ['top', 'right', 'bottom', 'left'],
    min: [0, 0, 0, 0],
    max: 1000,
    shorthand: true,
    default: [0, 0, 0, 0],
  },
  // Animation is kept by default, like Cloudflare Images and imgproxy.
  { key: 'anim', aliases: [], ...BOOL, default: true },
  { key: 'enlarge', aliases: [], ...BOOL, default: false },
  // Last: a row added at the end leaves every existing canonical form (cache key) as it was.
  {
    key: 'wm',
    aliases: ['watermark'],
    kind: 'name',
    pattern: WATERMARK_NAME,
    shown: '[a-z0-9][a-z0-9_-]{0,31}',
  },
];

/**
 * Options that cannot be given together, with the reason (a 400 naming both). crop then trim
 * would be the order, but sharp trims before it extracts: one pass cannot do it (and in
 * Cloudflare's grammar both are spellings of its one `trim` option).
 */
export const EXCLUSIVE_OPTIONS: readonly (readonly [OptionKey, OptionKey, string])[] = [
  [
    'crop',
    'trim',
    'crop then trim is the order they would need, and sharp trims before it crops; give one of them',
  ],
];

/** Canonical keys in canonical order. */
export const OPTION_KEYS: readonly OptionKey[] = OPTION_SPECS.map((s) => s.key);

/** Canonical key or alias → spec. A Map, so `__proto__`, `constructor`… are just unknown names. */
const BY_NAME: ReadonlyMap<string, OptionSpec> = new Map(
  OPTION_SPECS.flatMap((s) => [s.key, ...s.aliases].map((name) => [name, s] as const)),
);

/** Every accepted name (keys and aliases), for error messages. */
export const OPTION_NAMES: readonly string[] = [...BY_NAME.keys()];

export function specByName(name: string): OptionSpec | undefined {
  return BY_NAME.get(name);
}

/** The defaults, for consumers that want every field resolved (e.g. the origin's pipeline). */
export const OPTION_DEFAULTS: Readonly<ImageOptions> = Object.freeze(
  Object.fromEntries(OPTION_SPECS.filter((s) => s.default !== undefined).map((s) => [s.key, s.default])),
);
