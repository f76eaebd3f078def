/**
 * A small, strict reader of the HTTP Accept header (RFC 9110 §12.5.1): media ranges with an
 * optional weight. Types are case-insensitive; malformed ranges and malformed weights are ignored.
 */

export interface MediaRange {
  /** Lower-case type, or `*`. */
  readonly type: string;
  /** Lower-case subtype, or `*`. */
  readonly subtype: string;
  /** Weight 0..1; 0 means "not acceptable". */
  readonly q: number;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
const WEIGHT = /^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/;

export function parseAccept(header: string | null | undefined): MediaRange[] {
  if (!header) return [];
  const ranges: MediaRange[] = [];
  for (const part of header.split(',')) {
    const range = parseRange(part);
    if (range !== undefined) ranges.push(range);
  }
  return ranges;
}

function parseRange(part: string): MediaRange | undefined {
  const [mediaType = '', ...params] = part.split(';');
  const slash = mediaType.indexOf('/');
  if (slash === -1) return undefined;
  const type = mediaType.slice(0, slash).trim().toLowerCase();
  const subtype = mediaType
    .slice(slash + 1)
    .trim()
    .toLowerCase();
  if (!TOKEN.test(type) || !TOKEN.test(subtype) || (type === '*' && subtype !== '*')) return undefined;
  let q = 1;
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== 'q') continue;
    const weight = param.slice(eq + 1).trim();
    if (!WEIGHT.test(weight)) return undefined;
    q = Number(weight);
    break; // parameters after the weight are accept-extensions
  }
  return { type, subtype, q };
}

/**
 * The weight the ranges give `type/subtype`: the most specific matching range wins
 * (`image/webp` over `image/*` over `*\/*`). Among equally specific ranges the lowest weight
 * wins, so a refusal is never overridden and the header's order never matters.
 * With `exactOnly`, wildcards do not count. Undefined when nothing matches.
 */
export function weightOf(
  ranges: readonly MediaRange[],
  type: string,
  subtype: string,
  exactOnly = false,
): number | undefined {
  let best: { specificity: number; q: number } | undefined;
  for (const r of ranges) {
    const specificity =
      r.type === type && r.subtype === subtype
        ? 2
        : r.type === type && r.subtype === '*'
          ? 1
          : r.type === '*'
            ? 0
            : -1;
    if (specificity < 0 || (exactOnly && specificity < 2)) continue;
    if (best === undefined || specificity > best.specificity) best = { specificity, q: r.q };
    else if (specificity === best.specificity) best.q = Math.min(best.q, r.q);
  }
  return best?.q;
}
