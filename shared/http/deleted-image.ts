/**
 * What DELETE /images/:id tells the edge. With `Prefer: return=representation` (RFC 7240; the edge
 * sends it) the origin answers 200 with this body instead of 204: the canonical path and resolved
 * format of every variant it made of the image, i.e. the edge's variant cache keys to drop.
 */
export const PREFER_REPRESENTATION = 'return=representation';

export interface DeletedImage {
  id: string;
  variants: { path: string; format: string }[];
}

/** Does a Prefer header ask for the representation (RFC 7240 §4.2)? */
export function prefersRepresentation(prefer: string | null | undefined): boolean {
  return /(^|,)\s*return\s*=\s*"?representation"?\s*(;|,|$)/i.test(prefer ?? '');
}
