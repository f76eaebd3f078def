/** `Cache-Control` of an image variant: its URL names its content, so it never changes. */
export const CACHE_IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The freshness a shared cache may give a response: `max-age` (s-maxage first), or undefined when
 * it must not be stored (no-store, private, no-cache, no max-age, or max-age 0).
 */
export function sharedMaxAge(header: string | null | undefined): number | undefined {
  if (!header) return undefined;
  const directives = new Map<string, string>();
  for (const part of header.toLowerCase().split(',')) {
    const [name = '', value = ''] = part.trim().split('=', 2);
    directives.set(name.trim(), value.trim().replace(/^"|"$/g, ''));
  }
  if (['no-store', 'private', 'no-cache'].some((d) => directives.has(d))) return undefined;
  const text = directives.get('s-maxage') ?? directives.get('max-age');
  if (text === undefined || !/^[0-9]{1,10}$/.test(text)) return undefined;
  const seconds = Number(text);
  return seconds >= 1 ? seconds : undefined;
}
