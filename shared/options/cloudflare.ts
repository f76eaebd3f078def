/**
 * The Cloudflare dialect of the option grammar: the options of `/cdn-cgi/image/<options>/…` as
 * Cloudflare Images spells them (developers.cloudflare.com/images/optimization/features/), read onto
 * imgedge's options. Each row is one Cloudflare option: its names, the imgedge option it becomes,
 * and how its values translate (a value with a meaning of its own becomes imgedge option text,
 * `fit=contain` → `fit=inside,enlarge=1`). The translated entries go through parse.ts's readEntries:
 * the same value grammar, duplicate rule and error messages as imgedge's own spelling, and the
 * canonical form (the cache key, the signed text) is imgedge's. There is no second parser.
 *
 * Cloudflare's path form is imgedge's (`key=value` joined by `,`); its values may be
 * percent-encoded (`background=%23ff0000`, `rgb%28…%2C…%29`), so each value is decoded once.
 */
import { ImgedgeError } from '../errors.js';
import { cssColourToHex } from './css-colour.js';
import {
  type Accepts,
  duplicateName,
  invalidNamedValue,
  invalidValue,
  unknownDialectOption,
  unsupportedOption,
} from './describe.js';
import { type OptionEntry, pathEntries, readEntries } from './parse.js';
import { type OptionKey, specByName } from './spec.js';
import type { ImageOptions } from './types.js';
import { parseFocalPoint } from './values.js';

export interface CloudflareOption {
  /** Cloudflare's names for it. */
  readonly names: readonly string[];
  /** The imgedge option it sets (errors name it); none for options that change no pixel. */
  readonly key?: OptionKey;
  /** Values with a meaning of their own → imgedge option text (`fit=inside,enlarge=1`; '' = nothing). */
  readonly values?: Readonly<Record<string, string>>;
  /** Any other value → the value text of `key` (undefined refuses it); false: only `values`. */
  readonly other?: false | ((text: string) => string | undefined);
  /** Why a value (or, for every value, the whole option) is not supported; undefined if it is. */
  readonly unsupported?: (text: string) => string | undefined;
  /** What it accepts, for errors, when not what `key` accepts. */
  readonly accepts?: Accepts;
}

const only =
  (reasons: Readonly<Record<string, string>>) =>
  (text: string): string | undefined =>
    Object.hasOwn(reasons, text) ? reasons[text] : undefined;
const never = (reason: string) => () => reason;
const oneOf = (values: readonly string[]): Accepts => ({
  allowed: values.join('|'),
  phrase: `one of ${values.join(', ')}`,
});

/** Cloudflare's trim.* region options, in the order of imgedge's crop=x:y:w:h. */
const TRIM_REGION = ['trim.left', 'trim.top', 'trim.width', 'trim.height'] as const;

/** Every Cloudflare URL option, supported or not, in the order of Cloudflare's reference. */
export const CLOUDFLARE_OPTIONS: readonly CloudflareOption[] = [
  {
    names: ['anim'],
    key: 'anim',
    values: { true: 'anim=1', false: 'anim=0' },
    other: false,
    accepts: { allowed: 'true|false', phrase: 'true or false' },
  },
  {
    names: ['background'],
    key: 'bg',
    other: cssColourToHex,
    accepts: {
      allowed: '#rgb|#rgba|#rrggbb|#rrggbbaa|<css colour name>|rgb(r,g,b)|rgba(r,g,b,a)',
      phrase: 'a CSS colour: #rgb, #rgba, #rrggbb, #rrggbbaa, a colour name, rgb(r,g,b) or rgba(r,g,b,a)',
    },
  },
  // Cloudflare's blur is 0 (none) to 250; imgedge's sigma starts at 0.3.
  { names: ['blur'], key: 'blur', values: { '0': '' } },
  {
    names: ['border'],
    unsupported: never('borders are not supported (Cloudflare offers them in Workers only)'),
  },
  { names: ['brightness'], unsupported: never('imgedge has no brightness adjustment') },
  { names: ['compression'], unsupported: never('imgedge has no compression=fast mode') },
  { names: ['contrast'], unsupported: never('imgedge has no contrast adjustment') },
  // Cloudflare has no dpr=auto (imgedge's own grammar has).
  { names: ['dpr'], key: 'dpr', other: (text) => (text === 'auto' ? undefined : text) },
  {
    names: ['fit'],
    key: 'fit',
    values: {
      'scale-down': 'fit=inside',
      contain: 'fit=inside,enlarge=1',
      cover: 'fit=cover,enlarge=1',
      crop: 'fit=crop',
      pad: 'fit=contain,enlarge=1,bg=ffffff',
      squeeze: 'fit=fill,enlarge=1',
      'aspect-crop': 'fit=cover',
    },
    other: false,
    accepts: oneOf(['scale-down', 'contain', 'cover', 'crop', 'pad', 'squeeze', 'aspect-crop']),
  },
  // Cloudflare mirrors before it rotates, imgedge after (see translate).
  { names: ['flip'], key: 'flip' },
  {
    names: ['format', 'f'],
    key: 'f',
    // format=json answers imgedge's f=json document (README: its fields differ from Cloudflare's).
    values: { auto: 'f=auto', avif: 'f=avif', webp: 'f=webp', jpeg: 'f=jpeg', png: 'f=png', json: 'f=json' },
    other: false,
    unsupported: only({
      'baseline-jpeg': 'imgedge encodes progressive JPEG only; use format=jpeg',
    }),
    accepts: oneOf(['auto', 'avif', 'webp', 'jpeg', 'png', 'json']),
  },
  { names: ['gamma'], unsupported: never('imgedge has no gamma adjustment') },
  {
    names: ['gravity', 'g'],
    key: 'g',
    values: { auto: 'g=attention', left: 'g=west', right: 'g=east', top: 'g=north', bottom: 'g=south' },
    other: (text) => (parseFocalPoint(text) === undefined ? undefined : text),
    unsupported: only({ face: 'imgedge has no face detection; gravity=auto crops to what is salient' }),
    accepts: {
      allowed: 'auto|left|right|top|bottom|<x>x<y>',
      phrase: 'one of auto, left, right, top, bottom, or a point <x>x<y> (each from 0 to 1)',
    },
  },
  { names: ['height', 'h'], key: 'h' },
  {
    // imgedge always strips metadata; `copyright` (Cloudflare's default) is served stripped too.
    names: ['metadata'],
    values: { none: '', copyright: '' },
    other: false,
    unsupported: only({ keep: 'imgedge strips all metadata (EXIF, GPS) from every variant' }),
    accepts: oneOf(['none', 'copyright']),
  },
  // Not an image option: the edge's reaction to a failed transform (ImageRequest.onerror).
  { names: ['onerror'], values: { redirect: '' }, other: false, accepts: oneOf(['redirect']) },
  {
    names: ['quality', 'q'],
    key: 'q',
    unsupported: only(
      Object.fromEntries(
        ['high', 'medium-high', 'medium-low', 'low'].map((v) => [
          v,
          'perceptual quality levels are not supported; give a number from 1 to 100',
        ]),
      ),
    ),
  },
  { names: ['rotate'], key: 'rot' },
  { names: ['saturation'], unsupported: never('imgedge has no saturation adjustment') },
  { names: ['segment'], unsupported: never('imgedge has no background removal') },
  { names: ['sharpen'], key: 'sharpen' },
  {
    names: ['slow-connection-quality', 'scq'],
    unsupported: never('imgedge does not read connection client hints'),
  },
  {
    names: ['trim'],
    key: 'trim',
    // sharp's trim: edges within colour distance 10 of the top-left pixel.
    values: { border: 'trim=10' },
    other: false,
    unsupported: (text) =>
      /^[0-9]+;[0-9]+;[0-9]+;[0-9]+$/.test(text)
        ? 'pixel trims (top;right;bottom;left) need the source size; give the region kept as trim.left, trim.top, trim.width and trim.height (imgedge crop=x:y:w:h)'
        : undefined,
    accepts: oneOf(['border']),
  },
  // The region kept, all four together: imgedge's crop (see cropEntry).
  ...TRIM_REGION.map((name) => ({ names: [name], key: 'crop' as const })),
  {
    names: ['trim.border.color', 'trim.border.tolerance', 'trim.border.keep'],
    unsupported: never('only trim=border is supported'),
  },
  // width=auto: client hints, as imgedge's w=auto (client-hints.ts).
  { names: ['width', 'w'], key: 'w' },
  { names: ['zoom', 'face-zoom'], unsupported: never('imgedge has no face detection') },
];

/** Every Cloudflare name → its row (a Map: `__proto__`, `toString`… are just unknown names). */
const BY_NAME: ReadonlyMap<string, CloudflareOption> = new Map(
  CLOUDFLARE_OPTIONS.flatMap((o) => o.names.map((name) => [name, o] as const)),
);
/** The names imgedge reads (error messages list these; the others are refused with a reason). */
const SUPPORTED: readonly string[] = CLOUDFLARE_OPTIONS.filter(
  (o) => o.key !== undefined || o.values !== undefined,
).flatMap((o) => o.names);
const ONERROR = BY_NAME.get('onerror') as CloudflareOption;
const FLIP = BY_NAME.get('flip') as CloudflareOption;
const ROTATE = BY_NAME.get('rotate') as CloudflareOption;

export interface CloudflareOptions {
  options: ImageOptions;
  /** `onerror=redirect`: answer a failed transform with a redirect to the source image. */
  onerror?: 'redirect';
}

interface Given {
  readonly name: string;
  readonly text: string;
}

/**
 * The options segment of a `/cdn-cgi/image/` URL → imgedge options. Cloudflare requires at least
 * one option. Throws invalid_option naming the Cloudflare option and value.
 */
export function parseCloudflareOptions(segment: string): CloudflareOptions {
  const given = new Map<CloudflareOption, Given>();
  for (const [name, raw] of pathEntries(segment)) {
    const row = BY_NAME.get(name);
    if (row === undefined) throw unknownDialectOption('Cloudflare', name, raw, SUPPORTED);
    const text = percentDecoded(row, name, raw);
    const earlier = given.get(row);
    if (earlier !== undefined) throw duplicateName(row.key ?? name, earlier.name, name, raw);
    const reason = row.unsupported?.(text);
    if (reason !== undefined) {
      throw unsupportedOption(name, text, reason, row.key ?? name, allowedOf(row));
    }
    given.set(row, { name, text });
  }
  if (given.size === 0) {
    throw new ImgedgeError('invalid_option', 'a /cdn-cgi/image/ URL needs at least one option', {
      extra: { key: null, value: '', allowed: 'key=value' },
    });
  }
  const result: CloudflareOptions = { options: readEntries(translate(given)) };
  if (given.has(ONERROR)) result.onerror = 'redirect';
  return result;
}

function* translate(given: ReadonlyMap<CloudflareOption, Given>): Generator<OptionEntry> {
  let cropped = false;
  for (const [row, { name, text }] of given) {
    if (row.key === 'crop') {
      // The four trim.* options make one crop, yielded at the first of them.
      if (!cropped) yield cropEntry(given, name, text);
      cropped = true;
      continue;
    }
    if (row.key === undefined) {
      if (row.values === undefined || !Object.hasOwn(row.values, text)) throw invalid(row, name, text);
      continue;
    }
    const spec = specOf(row.key);
    if (row.values !== undefined && Object.hasOwn(row.values, text)) {
      // The row's own key is explicit; the others it implies yield to an explicit option.
      for (const [key, value] of pathEntries(row.values[text] as string)) {
        const target = specOf(key);
        yield { spec: target, given: name, text: value, shown: text, implied: target.key !== row.key };
      }
      continue;
    }
    if (row.other === false) throw invalid(row, name, text);
    const value = row.other === undefined ? text : row.other(text);
    if (value === undefined) throw invalid(row, name, text);
    const entry: OptionEntry = { spec, given: name, text: mirrored(row, value, given), shown: text };
    yield row.accepts === undefined ? entry : { ...entry, accepts: row.accepts };
  }
}

/**
 * trim.left, trim.top, trim.width, trim.height → crop=left:top:width:height. Cloudflare lets
 * width and height default to the rest of the image; imgedge needs all four (the edge does not
 * know the source's size), and says so.
 */
function cropEntry(given: ReadonlyMap<CloudflareOption, Given>, name: string, text: string): OptionEntry {
  const parts = TRIM_REGION.map((part) => given.get(BY_NAME.get(part) as CloudflareOption)?.text);
  const missing = TRIM_REGION.filter((_, i) => parts[i] === undefined);
  if (missing.length > 0) {
    throw unsupportedOption(
      name,
      text,
      `give all of trim.left, trim.top, trim.width and trim.height (missing ${missing.join(', ')}): imgedge crops to a region, without the source's size`,
      'crop',
      TRIM_REGION.join('|'),
    );
  }
  const shown = TRIM_REGION.map((part, i) => `${part}=${parts[i]}`).join(',');
  // A value that is no plain integer could smuggle a separator: the crop grammar refuses it.
  const values = parts.map((p) => (/^[0-9]+$/.test(p as string) ? p : '-')).join(':');
  return { spec: specOf('crop'), given: 'trim.left/top/width/height', text: values, shown };
}

/**
 * Cloudflare mirrors before it rotates; imgedge rotates, then mirrors the rotated image. After a
 * quarter turn a left-right mirror is a top-bottom one, so h and v swap (hv and 180° are the same).
 */
function mirrored(row: CloudflareOption, value: string, given: ReadonlyMap<CloudflareOption, Given>): string {
  if (row !== FLIP) return value;
  const turn = given.get(ROTATE)?.text;
  if (turn !== '90' && turn !== '270') return value;
  return value === 'h' ? 'v' : value === 'v' ? 'h' : value;
}

function specOf(key: string) {
  const spec = specByName(key);
  if (spec === undefined) throw new Error(`the Cloudflare table names no imgedge option ${key}`);
  return spec;
}

function percentDecoded(row: CloudflareOption, name: string, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw invalid(row, name, raw);
  }
}

function allowedOf(row: CloudflareOption): string {
  if (row.accepts !== undefined) return row.accepts.allowed;
  return row.values === undefined ? 'nothing (not supported)' : Object.keys(row.values).join('|');
}

function invalid(row: CloudflareOption, name: string, text: string): ImgedgeError {
  if (row.key !== undefined) return invalidValue(specOf(row.key), name, text, row.accepts);
  return invalidNamedValue(name, text, row.accepts ?? oneOf(Object.keys(row.values ?? {})));
}
