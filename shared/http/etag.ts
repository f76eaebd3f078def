/** Does an If-None-Match header match this ETag (weak comparison, RFC 9110 §13.1.2)? */
export function etagMatches(
  ifNoneMatch: string | null | undefined,
  etag: string | null | undefined,
): boolean {
  if (!ifNoneMatch || !etag) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
}
