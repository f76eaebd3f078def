/** OAuth scopes imgedge understands. */
export const SCOPES = ['images:read', 'images:write'] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** Parse a space-separated `scope` claim (RFC 8693 §4.2 / RFC 6749 §3.3). */
export function parseScopeClaim(claim: unknown): Set<string> {
  if (typeof claim !== 'string') return new Set();
  return new Set(claim.split(' ').filter((s) => s.length > 0));
}

/** The scope a request to the images API needs: reads need `images:read`, the rest `images:write`. */
export function scopeForMethod(method: string): Scope {
  return method === 'GET' || method === 'HEAD' ? 'images:read' : 'images:write';
}
