/**
 * Named presets from configuration: name → option string (`thumb: 'w=200,h=200,fit=cover'`).
 * compilePresets validates them all at start-up and throws InvalidPresetError naming the bad
 * preset, so a configuration mistake stops the process instead of becoming a 400 per request.
 */

import { parseJsonObject } from '../config/json-object.js';
import { ImgedgeError, isImgedgeError } from '../errors.js';
import { canonicalize } from './canonical.js';
import { echo } from './describe.js';
import { parseOptions } from './parse.js';
import type { ImageOptions } from './types.js';

export type Presets = Readonly<Record<string, string>>;

/** The presets when PRESETS is unset (the README lists them). */
export const DEFAULT_PRESETS: Presets = {
  thumb: 'w=200,h=200,fit=cover,g=attention',
  card: 'w=600,h=400,fit=cover',
  hero: 'w=1600',
};

/** Lower-case word, no `=`, `,` or `/`, so a preset segment can never look like options. */
export const PRESET_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

export interface CompiledPreset {
  readonly name: string;
  /** The options exactly as the preset spells them (defaults kept; used for conflict checks). */
  readonly options: Readonly<ImageOptions>;
  readonly canonical: string;
}

export class InvalidPresetError extends Error {
  override readonly name = 'InvalidPresetError';
  constructor(
    readonly preset: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid image preset ${JSON.stringify(echo(preset))}: ${reason}`, options);
  }
}

/** Presets validated once; pass this to parseImageRequest on the hot path. */
export class CompiledPresets {
  readonly #byName: ReadonlyMap<string, CompiledPreset>;

  constructor(presets: Iterable<CompiledPreset>) {
    this.#byName = new Map([...presets].map((p) => [p.name, p]));
  }

  get(name: string): CompiledPreset | undefined {
    return this.#byName.get(name);
  }

  get names(): string[] {
    return [...this.#byName.keys()];
  }
}

export function compilePreset(name: string, spec: string): CompiledPreset {
  if (!PRESET_NAME.test(name)) {
    throw new InvalidPresetError(name, `a preset name must match ${PRESET_NAME.source}`);
  }
  if (typeof spec !== 'string') throw new InvalidPresetError(name, 'its value must be an option string');
  try {
    const options = Object.freeze(parseOptions(spec));
    return Object.freeze({ name, options, canonical: canonicalize(options) });
  } catch (err) {
    if (isImgedgeError(err)) throw new InvalidPresetError(name, err.message, { cause: err });
    throw err;
  }
}

export function compilePresets(record: Presets): CompiledPresets {
  return new CompiledPresets(Object.entries(record).map(([name, spec]) => compilePreset(name, spec)));
}

/**
 * PRESETS as both tiers read it: a JSON object of preset name → option string, compiled. Throws an
 * Error whose message completes "PRESETS …" (the edge and the origin prefix the variable name).
 */
export function parsePresetsJson(text: string): CompiledPresets {
  const record = parseJsonObject(text, 'preset name → options', '{"thumb":"w=200,h=200"}');
  return compilePresets(record as Record<string, string>);
}

/** Looks a preset up by the name a URL gave; own properties only (`toString` is no preset). */
export function lookupPreset(presets: Presets | CompiledPresets, name: string): CompiledPreset | undefined {
  if (presets instanceof CompiledPresets) return presets.get(name);
  return Object.hasOwn(presets, name) ? compilePreset(name, presets[name] as string) : undefined;
}

export function presetNames(presets: Presets | CompiledPresets): string[] {
  return presets instanceof CompiledPresets ? presets.names : Object.keys(presets);
}

export function unknownPreset(name: string, presets: Presets | CompiledPresets): ImgedgeError {
  const names = presetNames(presets);
  return new ImgedgeError(
    'invalid_option',
    `unknown preset ${JSON.stringify(echo(name))}; ${names.length === 0 ? 'no presets are configured' : `presets are ${names.join(', ')}`} (options are written key=value)`,
    { extra: { key: 'preset', value: echo(name), allowed: names.join('|') } },
  );
}
