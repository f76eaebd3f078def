/**
 * parseOptions: the path form `w=800,h=600,fit=cover` or the query form (URLSearchParams or any
 * iterable of [key, value]) → validated ImageOptions. Keys and values are case-sensitive.
 * The path form is not percent-decoded (`w=%31` is rejected); the query form is whatever
 * URLSearchParams decoded. `sig` is not an option: callers strip it first (parseImageRequest does).
 */
import { duplicateOption, invalidValue, malformedSegment, unknownOption } from './describe.js';
import { type OptionKey, specByName } from './spec.js';
import type { ImageOptions } from './types.js';
import { decodeValue, INVALID } from './values.js';

export type OptionEntries = Iterable<readonly [string, string]>;
export type OptionsInput = string | URLSearchParams | OptionEntries;

export function parseOptions(input: OptionsInput): ImageOptions {
  return parseEntries(typeof input === 'string' ? pathEntries(input) : input);
}

/** Splits the path form lazily, so a hostile 100 KB input fails at its first bad segment. */
function* pathEntries(text: string): Generator<readonly [string, string]> {
  if (text === '') return;
  let start = 0;
  while (start <= text.length) {
    const comma = text.indexOf(',', start);
    const end = comma === -1 ? text.length : comma;
    const segment = text.slice(start, end);
    const eq = segment.indexOf('=');
    if (eq === -1) throw malformedSegment(segment);
    yield [segment.slice(0, eq), segment.slice(eq + 1)];
    start = end + 1;
  }
}

function parseEntries(entries: OptionEntries): ImageOptions {
  const out: ImageOptions = {};
  // Written only through keys of the table, so no prototype key can ever be assigned.
  const target = out as Record<OptionKey, unknown>;
  const seen = new Set<OptionKey>();
  for (const [name, text] of entries) {
    const spec = specByName(name);
    if (spec === undefined) throw unknownOption(name, text);
    if (seen.has(spec.key)) throw duplicateOption(spec, name, text);
    const value = decodeValue(spec, text);
    if (value === INVALID) throw invalidValue(spec, name, text);
    seen.add(spec.key);
    target[spec.key] = value;
  }
  return out;
}
