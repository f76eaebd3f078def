/**
 * Human and machine descriptions of what an option accepts, and the ImgedgeError('invalid_option')
 * builders. Every message names the key, the value given (quoted, escaped, truncated) and what
 * is allowed; `extra` carries the same as `{ key, value, allowed }`.
 */
import { ImgedgeError } from '../errors.js';
import {
  type IntsKind,
  OPTION_KEYS,
  OPTION_NAMES,
  OPTION_SPECS,
  type OptionKey,
  type OptionSpec,
} from './spec.js';

/** Values echoed in errors are cut to this many characters (inputs can be 100 KB long). */
const MAX_ECHO = 64;

export function echo(text: string): string {
  return text.length > MAX_ECHO ? `${text.slice(0, MAX_ECHO)}…` : text;
}

/** JSON quoting escapes control characters and quotes, so a hostile value cannot forge text. */
function quote(text: string): string {
  return JSON.stringify(echo(text));
}

/** Compact, machine-friendly form of what a key accepts (the `allowed` extension member). */
export function allowedOf(spec: OptionSpec): string {
  switch (spec.kind) {
    case 'int':
    case 'decimal':
      return `${spec.min}..${spec.max}${spec.auto ? '|auto' : ''}`;
    case 'enum':
      return spec.values.join('|');
    case 'hex':
      return 'rgb|rgba|rrggbb|rrggbbaa';
    case 'bool':
      return '0|1';
    case 'gravity':
      return `${spec.values.join('|')}|<x>x<y>`;
    case 'ints': {
      const all = spec.names.map((_, i) => `${spec.min[i] ?? 0}..${spec.max}`).join(':');
      return spec.shorthand ? `${spec.min[0] ?? 0}..${spec.max}|${all}` : all;
    }
    case 'name':
      return spec.shown;
  }
}

/** `x:y:w:h (x and y from 0 to 65535, w and h from 1 to 65535)`. */
function intsPhrase(spec: IntsKind): string {
  const grammar = spec.names.join(':');
  const lows = [...new Set(spec.min)];
  const ranges =
    lows.length === 1
      ? `each from ${lows[0]} to ${spec.max}`
      : lows
          .map((low) => {
            const names = spec.names.filter((_, i) => spec.min[i] === low);
            return `${names.join(' and ')} from ${low} to ${spec.max}`;
          })
          .join(', ');
  const count = spec.names.length;
  const many = `${count} integers ${grammar} separated by ':' (${ranges})`;
  return spec.shorthand ? `one integer for all ${count}, or ${many}` : many;
}

/** The same as a phrase: "w must be <phrase>". */
function phraseOf(spec: OptionSpec): string {
  switch (spec.kind) {
    case 'int':
      return `an integer from ${spec.min} to ${spec.max}${spec.auto ? ' or auto' : ''}`;
    case 'decimal':
      return `a number from ${spec.min} to ${spec.max} with at most 3 decimals${spec.auto ? ', or auto' : ''}`;
    case 'enum':
      return spec.values.length === 2
        ? `${spec.values[0]} or ${spec.values[1]}`
        : `one of ${spec.values.join(', ')}`;
    case 'hex':
      return 'a hex colour rgb, rgba, rrggbb or rrggbbaa (without #)';
    case 'bool':
      return '0 or 1';
    case 'gravity':
      return `one of ${spec.values.join(', ')}, or a focal point <x>x<y> (each from 0 to 1 with at most 3 decimals)`;
    case 'ints':
      return intsPhrase(spec);
    case 'name':
      return `a name matching ${spec.shown}`;
  }
}

/** How the user wrote the key: `width (w)` for an alias, `w` otherwise. */
function named(spec: OptionSpec, givenName: string): string {
  return givenName === spec.key ? spec.key : `${givenName} (${spec.key})`;
}

/** What an option accepts, when a dialect spells it otherwise than the option table. */
export interface Accepts {
  /** The `allowed` member: `a|b|c` or `min..max`. */
  readonly allowed: string;
  /** The phrase after "must be". */
  readonly phrase: string;
}

export function invalidValue(
  spec: OptionSpec,
  givenName: string,
  value: string,
  accepts: Accepts = { allowed: allowedOf(spec), phrase: phraseOf(spec) },
): ImgedgeError {
  return new ImgedgeError(
    'invalid_option',
    `${named(spec, givenName)} must be ${accepts.phrase}, got ${quote(value)}`,
    {
      extra: { key: spec.key, value: echo(value), allowed: accepts.allowed },
    },
  );
}

/**
 * An option (or a value of one) that another grammar has and imgedge does not: a 400 that says so
 * and why. `key` is imgedge's key when there is one, else the name given.
 */
export function unsupportedOption(
  givenName: string,
  value: string,
  reason: string,
  key: string,
  allowed: string,
): ImgedgeError {
  return new ImgedgeError('invalid_option', `${quote(`${givenName}=${value}`)} is not supported: ${reason}`, {
    extra: { key: echo(key), value: echo(value), allowed },
  });
}

/** A bad value for a dialect's name that is no table key (Cloudflare's `metadata`, `onerror`). */
export function invalidNamedValue(name: string, value: string, accepts: Accepts): ImgedgeError {
  return new ImgedgeError('invalid_option', `${name} must be ${accepts.phrase}, got ${quote(value)}`, {
    extra: { key: echo(name), value: echo(value), allowed: accepts.allowed },
  });
}

/** A dialect's option given twice (under the same or another of its names). */
export function duplicateName(key: string, first: string, second: string, value: string): ImgedgeError {
  const names = first === second ? first : `${second} (${first})`;
  return new ImgedgeError(
    'invalid_option',
    `${names} is given more than once (second value ${quote(value)}); each option may appear once`,
    { extra: { key: echo(key), value: echo(value), allowed: 'once' } },
  );
}

/** An unknown name in a dialect (Cloudflare's): lists that dialect's names. */
export function unknownDialectOption(
  dialect: string,
  name: string,
  value: string,
  names: readonly string[],
): ImgedgeError {
  return new ImgedgeError(
    'invalid_option',
    `unknown ${dialect} option ${quote(name)}; options are ${names.join(', ')}`,
    { extra: { key: echo(name), value: echo(value), allowed: names.join('|') } },
  );
}

export function unknownOption(name: string, value: string): ImgedgeError {
  return new ImgedgeError(
    'invalid_option',
    `unknown option ${quote(name)}; options are ${OPTION_KEYS.join(', ')} (aliases ${OPTION_NAMES.filter((n) => !(OPTION_KEYS as readonly string[]).includes(n)).join(', ')})`,
    { extra: { key: echo(name), value: echo(value), allowed: OPTION_NAMES.join('|') } },
  );
}

export function duplicateOption(
  spec: OptionSpec,
  givenName: string,
  value: string,
  where = '',
): ImgedgeError {
  return new ImgedgeError(
    'invalid_option',
    `${named(spec, givenName)} is given more than once${where} (second value ${quote(value)}); each option may appear once`,
    { extra: { key: spec.key, value: echo(value), allowed: 'once' } },
  );
}

/** Two options of EXCLUSIVE_OPTIONS given together: names both, `key` is the first. */
export function exclusiveOptions(
  first: OptionKey,
  second: OptionKey,
  value: string,
  reason: string,
): ImgedgeError {
  return new ImgedgeError('invalid_option', `${first} cannot be combined with ${second}: ${reason}`, {
    extra: { key: first, value: echo(value), allowed: `${first} or ${second}, not both` },
  });
}

/** A bare number as a segment: the tail of a tuple written with commas in the path. */
const NUMBERS = /^[0-9]+$/;
/** The options whose value is several numbers (`crop=x:y:w:h`…), for that hint. */
const TUPLES = OPTION_SPECS.filter((s) => s.kind === 'ints');

export function malformedSegment(segment: string): ImgedgeError {
  if (segment === '') {
    return new ImgedgeError(
      'invalid_option',
      'empty option: options are key=value separated by single commas',
      {
        extra: { key: null, value: '', allowed: 'key=value' },
      },
    );
  }
  const hint = NUMBERS.test(segment)
    ? ` (in the path, the numbers of ${TUPLES.map((t) => t.key).join(' or ')} are separated by ':', as ${TUPLES.map((t) => `${t.key}=${t.kind === 'ints' ? t.names.join(':') : ''}`).join(', ')}; ',' separates options)`
    : '';
  return new ImgedgeError(
    'invalid_option',
    `option ${quote(segment)} has no value: write it as key=value${hint}`,
    {
      extra: { key: echo(segment), value: '', allowed: 'key=value' },
    },
  );
}
