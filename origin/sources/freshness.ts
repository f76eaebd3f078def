/**
 * How long a fetched (or revalidated) source image stays fresh, i.e. is served without asking the
 * source again. SOURCE_TTL is both the default and the floor:
 * - `s-maxage` (imgedge is a shared cache), else `max-age`, else `Expires` − `Date`, minus `Age`,
 *   extends it when longer;
 * - a shorter lifetime, `no-cache`, `no-store`, `private` or `must-revalidate` do not shorten it:
 *   the operator named this source in SOURCES and chose SOURCE_TTL as the most often imgedge asks
 *   it; the bytes are needed anyway to make variants. `DELETE /api/v1/sources/<name>/<path>`
 *   forces a refetch sooner.
 * Capped at one year, like every immutable variant.
 */
import type { SourceHeaders } from './fetch-source.js';

export const MAX_FRESHNESS_SECONDS = 31_536_000;

function directive(cacheControl: string, name: string): number | undefined {
  const match = new RegExp(`(?:^|,)\\s*${name}\\s*=\\s*"?(\\d+)"?\\s*(?:,|$)`, 'i').exec(cacheControl);
  return match ? Number(match[1]) : undefined;
}

/** The source's own freshness lifetime in seconds, or undefined when it gives none. */
export function sourceLifetime(headers: SourceHeaders, nowMs: number): number | undefined {
  const cc = headers.cacheControl ?? '';
  let lifetime = directive(cc, 's-maxage') ?? directive(cc, 'max-age');
  if (lifetime === undefined && headers.expires !== undefined) {
    const expires = Date.parse(headers.expires);
    const date = headers.date === undefined ? Number.NaN : Date.parse(headers.date);
    // An unparseable Expires (such as "0") means already expired (RFC 9111 §5.3).
    lifetime = Number.isNaN(expires) ? 0 : Math.floor((expires - (Number.isNaN(date) ? nowMs : date)) / 1000);
  }
  if (lifetime === undefined) return undefined;
  const age = Number(headers.age);
  return Math.max(0, lifetime - (Number.isFinite(age) && age > 0 ? Math.floor(age) : 0));
}

/** Seconds to keep the copy fresh: at least `floorSeconds` (SOURCE_TTL), at most a year. */
export function freshnessSeconds(headers: SourceHeaders, floorSeconds: number, nowMs = Date.now()): number {
  const lifetime = sourceLifetime(headers, nowMs) ?? 0;
  return Math.min(MAX_FRESHNESS_SECONDS, Math.max(floorSeconds, lifetime));
}
