/**
 * The requested format: one type for what a variant request asks for, decided once at the edge.
 * Either an explicit `f` (an output format), or, for `f=auto`, `f=json` (or no `f`), the capability class the
 * edge negotiated from the Accept header (see negotiate.ts); the origin resolves that class against
 * the source.
 *
 * On the wire (edge → origin) it travels in exactly one place: an explicit `f` in the canonical
 * options only, a class as `?format=<class>` only. formatQuery() writes that form and
 * parseRequestedFormat() reads it back.
 *
 * formatLabel() is its one string form: the explicit format or the class. It keys the edge cache,
 * the origin's disk cache and ETags, and labels the transform metrics.
 */
import { ImgedgeError } from '../errors.js';
import { FORMAT_CLASSES, type FormatClass, negotiateClass } from './negotiate.js';
import type { FormatOption, ImageOptions, OutputFormat } from './types.js';

export type RequestedFormat =
  | { readonly kind: 'explicit'; readonly format: OutputFormat }
  | { readonly kind: 'auto'; readonly class: FormatClass };

/** The query parameter that carries the class of an `f=auto` request to the origin. */
export const FORMAT_PARAM = 'format';

/** Whether `f` names an output format (rather than being absent, `auto` or `json`). */
export function isExplicitFormat(f: FormatOption | undefined): f is OutputFormat {
  return f !== undefined && f !== 'auto' && f !== 'json';
}

/**
 * `f=json`: the variant's metadata instead of its bytes. It describes what `f=auto` serves the same
 * client, so it travels and is keyed like f=auto (the class as `?format=`), its canonical options
 * (with `f=json`) keeping it apart from the image's own entry.
 */
export function isInfoRequest(options: ImageOptions): boolean {
  return options.f === 'json';
}

/** The edge's decision: the explicit `f`, or the class the Accept header asks for. */
export function requestFormat(options: ImageOptions, accept: string | null | undefined): RequestedFormat {
  return isExplicitFormat(options.f)
    ? { kind: 'explicit', format: options.f }
    : { kind: 'auto', class: negotiateClass(accept) };
}

/** The one string form: the explicit format or the class (cache keys, ETags, metric labels). */
export function formatLabel(requested: RequestedFormat): OutputFormat {
  return requested.kind === 'explicit' ? requested.format : requested.class;
}

/** The query string the edge adds to its origin call: `?format=<class>` for f=auto, else none. */
export function formatQuery(requested: RequestedFormat): string {
  return requested.kind === 'auto' ? `?${FORMAT_PARAM}=${requested.class}` : '';
}

/**
 * The origin's reading of the wire form: `options` are the canonical options, `query` the
 * `format` parameter. An explicit `f` must come alone; f=auto needs a class.
 */
export function parseRequestedFormat(options: ImageOptions, query: string | undefined): RequestedFormat {
  if (isExplicitFormat(options.f)) {
    if (query !== undefined) {
      throw new ImgedgeError('invalid_option', `format is sent only for f=auto, not with f=${options.f}`, {
        extra: { key: FORMAT_PARAM },
      });
    }
    return { kind: 'explicit', format: options.f };
  }
  const found = FORMAT_CLASSES.find((c) => c === query);
  if (found === undefined) {
    throw new ImgedgeError('invalid_option', 'format must be avif, webp or jpeg (the edge resolves f=auto)', {
      extra: { key: FORMAT_PARAM, value: query ?? null, allowed: FORMAT_CLASSES },
    });
  }
  return { kind: 'auto', class: found };
}
