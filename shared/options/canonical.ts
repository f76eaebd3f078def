/**
 * The canonical form: the cache key. Keys in table order, short keys only, canonical value text,
 * defaults dropped; '' when every option is the default. Values are re-validated through the
 * same grammar as parsing, so a canonical string always parses back to the same options.
 */
import { invalidValue } from './describe.js';
import { assertExclusive } from './exclusive.js';
import { OPTION_SPECS, type OptionKey, type OptionSpec } from './spec.js';
import type { ImageOptions } from './types.js';
import { decodeValue, encodeValue, INVALID } from './values.js';

interface CanonicalEntry {
  readonly spec: OptionSpec;
  readonly value: string | number | boolean | readonly number[];
  readonly text: string;
}

/** Non-default options in canonical order; throws invalid_option for a value outside the grammar. */
function canonicalEntries(opts: ImageOptions): CanonicalEntry[] {
  const source = opts as Partial<Record<OptionKey, unknown>>;
  const entries: CanonicalEntry[] = [];
  for (const spec of OPTION_SPECS) {
    const given = source[spec.key];
    if (given === undefined) continue;
    const raw = encodeValue(spec, given);
    const value = decodeValue(spec, raw);
    if (value === INVALID) throw invalidValue(spec, spec.key, raw);
    const text = encodeValue(spec, value);
    if (spec.default !== undefined && text === encodeValue(spec, spec.default)) continue;
    entries.push({ spec, value, text });
  }
  assertExclusive(Object.fromEntries(entries.map((e) => [e.spec.key, e.value])));
  return entries;
}

export function canonicalize(opts: ImageOptions): string {
  return canonicalEntries(opts)
    .map((e) => `${e.spec.key}=${e.text}`)
    .join(',');
}

/** The same options with defaults dropped and values normalized: `parseOptions(canonicalize(o))`. */
export function normalizeOptions(opts: ImageOptions): ImageOptions {
  const out: ImageOptions = {};
  const target = out as Record<OptionKey, unknown>;
  for (const e of canonicalEntries(opts)) target[e.spec.key] = e.value;
  return out;
}
