/**
 * Value grammar per kind: text → typed value (decode) and typed value → canonical text (encode).
 * Strict: no signs, exponents, hex, leading zeros, whitespace or Unicode digits; decimals carry at
 * most 3 fractional digits so the cache-key space stays bounded. Canonical numbers are JS's
 * shortest form (`1.50` → `1.5`, `2.0` → `2`).
 */
import type { IntsKind, OptionSpec } from './spec.js';

const INT = /^(?:0|[1-9][0-9]*)$/;
const DECIMAL = /^(?:0|[1-9][0-9]*)(?:\.[0-9]{1,3})?$/;
// Hex digits are case-insensitive by convention; the canonical form is lower-case.
const HEX = /^(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/;
const FRACTION = '(0|1)(?:\\.[0-9]{1,3})?';
const FOCAL_POINT = new RegExp(`^${FRACTION}x${FRACTION}$`);

/** Returned by decode when the text is not a valid value for the spec. */
export const INVALID: unique symbol = Symbol('invalid');

export type Decoded = string | number | boolean | readonly number[] | typeof INVALID;

/** The client-hint value of `w` and `dpr` (spec `auto: true`). */
export const AUTO = 'auto';

export function decodeValue(spec: OptionSpec, text: string): Decoded {
  if ((spec.kind === 'int' || spec.kind === 'decimal') && spec.auto === true && text === AUTO) return AUTO;
  switch (spec.kind) {
    case 'int':
      return INT.test(text) ? inRange(Number(text), spec.min, spec.max) : INVALID;
    case 'decimal':
      return DECIMAL.test(text) ? inRange(Number(text), spec.min, spec.max) : INVALID;
    case 'enum':
      return (spec.values as readonly (string | number)[]).find((v) => String(v) === text) ?? INVALID;
    case 'hex':
      return HEX.test(text) ? normalizeHex(text) : INVALID;
    case 'bool':
      return text === '1' ? true : text === '0' ? false : INVALID;
    case 'gravity':
      return (spec.values as readonly string[]).find((v) => v === text) ?? decodeFocalPoint(text);
    case 'ints':
      return decodeInts(spec, text);
    case 'name':
      return spec.pattern.test(text) ? text : INVALID;
  }
}

/** Separators of an `ints` value: `:`, or `,` (the query form only: `,` ends an option in the path). */
const INT_SEPARATORS = [':', ','] as const;
/** Digits of the largest integer any `ints` position takes, plus its separator. */
const MAX_INT_TEXT = 16;

/** `10:20:300:200` → `[10, 20, 300, 200]`; `5` → `[5, 5, 5, 5]` with `shorthand`. */
function decodeInts(spec: IntsKind, text: string): readonly number[] | typeof INVALID {
  const count = spec.names.length;
  // A hostile 100 KB value is refused before it is split.
  if (text.length > count * MAX_INT_TEXT) return INVALID;
  const separator = INT_SEPARATORS.find((s) => text.includes(s));
  const parts = separator === undefined ? [text] : text.split(separator);
  if (parts.length === 1 && spec.shorthand === true) {
    const all = parts[0] as string;
    return decodeInts(spec, Array.from({ length: count }, () => all).join(':'));
  }
  if (parts.length !== count) return INVALID;
  const values: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (!INT.test(part)) return INVALID;
    const n = inRange(Number(part), spec.min[i] ?? 0, spec.max);
    if (n === INVALID) return INVALID;
    values.push(n);
  }
  return values;
}

/** `0.250x0.7` → `0.25x0.7`; `0.5x0.5` → `center`. */
function decodeFocalPoint(text: string): string | typeof INVALID {
  const point = parseFocalPoint(text);
  if (point === undefined) return INVALID;
  return point.x === 0.5 && point.y === 0.5 ? 'center' : `${point.x}x${point.y}`;
}

/** The fractions of a focal point `<x>x<y>` (each 0..1, at most 3 decimals), or undefined. */
export function parseFocalPoint(text: string): { x: number; y: number } | undefined {
  if (!FOCAL_POINT.test(text)) return undefined;
  const [xText = '', yText = ''] = text.split('x');
  const x = Number(xText);
  const y = Number(yText);
  return x <= 1 && y <= 1 ? { x, y } : undefined;
}

function inRange(n: number, min: number, max: number): number | typeof INVALID {
  return n >= min && n <= max ? n : INVALID;
}

/** `abc` → `aabbcc`, `abcf` → `aabbcc`, `AABBCC80` → `aabbcc80`: lower-case, alpha `ff` dropped. */
function normalizeHex(text: string): string {
  const lower = text.toLowerCase();
  const full = lower.length <= 4 ? [...lower].map((c) => c + c).join('') : lower;
  return full.length === 8 && full.endsWith('ff') ? full.slice(0, 6) : full;
}

/**
 * The text a typed value is written as. For a value that came out of decodeValue this is the
 * canonical text; for anything else it is a candidate that decodeValue must accept.
 */
export function encodeValue(spec: OptionSpec, value: unknown): string {
  if (spec.kind === 'bool') return value === true ? '1' : value === false ? '0' : String(value);
  if (spec.kind === 'ints' && Array.isArray(value)) {
    const same = value.length > 0 && value.every((v) => v === value[0]);
    return spec.shorthand === true && same ? String(value[0]) : value.map(String).join(':');
  }
  return String(value);
}
