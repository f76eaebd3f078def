/**
 * The options that cannot be given together (spec.ts EXCLUSIVE_OPTIONS), checked wherever a set of
 * options is made final: parsing (parse.ts) and the canonical form (canonical.ts), so a preset and a
 * query that together break the rule are refused too.
 */
import { exclusiveOptions } from './describe.js';
import { EXCLUSIVE_OPTIONS, type OptionKey, specByName } from './spec.js';
import type { ImageOptions } from './types.js';
import { encodeValue } from './values.js';

export function assertExclusive(opts: ImageOptions): void {
  const given = opts as Partial<Record<OptionKey, unknown>>;
  for (const [first, second, reason] of EXCLUSIVE_OPTIONS) {
    const value = given[first];
    const spec = specByName(first);
    if (value === undefined || given[second] === undefined || spec === undefined) continue;
    throw exclusiveOptions(first, second, encodeValue(spec, value), reason);
  }
}
