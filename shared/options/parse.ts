/**
 * parseOptions: the path form `w=800,h=600,fit=cover` or the query form (URLSearchParams or any
 * iterable of [key, value]) → validated ImageOptions. Keys and values are case-sensitive.
 * The path form is not percent-decoded (`w=%31` is rejected); the query form is whatever
 * URLSearchParams decoded. `sig` is not an option: callers strip it first (parseImageRequest does).
 *
 * readEntries is the one validation every spelling goes through: imgedge's own names here, the
 * Cloudflare dialect's translated options (cloudflare.ts) too — the same value grammar (values.ts),
 * the same duplicate rule and the same error messages (describe.ts).
 */
import { type Accepts, duplicateOption, invalidValue, malformedSegment, unknownOption } from './describe.js';
import { assertExclusive } from './exclusive.js';
import { type OptionKey, type OptionSpec, specByName } from './spec.js';
import type { ImageOptions } from './types.js';
import { decodeValue, INVALID } from './values.js';

export type OptionEntries = Iterable<readonly [string, string]>;
export type OptionsInput = string | URLSearchParams | OptionEntries;

/** One option as the grammar validates it. */
export interface OptionEntry {
  readonly spec: OptionSpec;
  /** The name the user wrote (a key, an alias, or a dialect's name). */
  readonly given: string;
  /** The value in imgedge's value grammar. */
  readonly text: string;
  /** The value as the user wrote it, echoed in errors (default: text). */
  readonly shown?: string;
  /** What the user's option accepts, when a dialect's values differ from the spec's. */
  readonly accepts?: Accepts;
  /** Implied by another option (Cloudflare's fit=pad implies bg=ffffff): an explicit one wins. */
  readonly implied?: boolean;
}

export function parseOptions(input: OptionsInput): ImageOptions {
  return readEntries(imgedgeEntries(typeof input === 'string' ? pathEntries(input) : input));
}

/** Splits the path form lazily, so a hostile 100 KB input fails at its first bad segment. */
export function* pathEntries(text: string): Generator<readonly [string, string]> {
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

function* imgedgeEntries(pairs: OptionEntries): Generator<OptionEntry> {
  for (const [name, text] of pairs) {
    const spec = specByName(name);
    if (spec === undefined) throw unknownOption(name, text);
    yield { spec, given: name, text };
  }
}

export function readEntries(entries: Iterable<OptionEntry>): ImageOptions {
  const out: ImageOptions = {};
  // Written only through keys of the table, so no prototype key can ever be assigned.
  const target = out as Record<OptionKey, unknown>;
  const seen = new Set<OptionKey>();
  const implied: OptionEntry[] = [];
  const read = (entry: OptionEntry) => {
    const { spec, given, text } = entry;
    if (seen.has(spec.key)) throw duplicateOption(spec, given, entry.shown ?? text);
    const value = decodeValue(spec, text);
    if (value === INVALID) throw invalidValue(spec, given, entry.shown ?? text, entry.accepts);
    seen.add(spec.key);
    target[spec.key] = value;
  };
  for (const entry of entries) {
    if (entry.implied) implied.push(entry);
    else read(entry);
  }
  for (const entry of implied) if (!seen.has(entry.spec.key)) read(entry);
  assertExclusive(out);
  return out;
}
