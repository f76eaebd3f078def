/**
 * What PATCH /images/:id tells the edge. With `Prefer: imgedge-variants` (an extension preference,
 * RFC 7240 §2; the edge sends it) the origin answers this body instead of the bare image record,
 * with `Preference-Applied: imgedge-variants`: the record, whether the change alters the image's
 * variants (its focal point moved), and then the edge's variant cache keys to drop — as for a
 * delete (deleted-image.ts). The edge answers its client the bare `image`.
 */
export const PREFER_VARIANTS = 'imgedge-variants';

export interface PatchedImage {
  /** The updated image record, as GET /images/:id gives it. */
  image: Record<string, unknown>;
  /** True when variants of the image changed: drop the listed keys, purge its tag. */
  changed: boolean;
  variants: { path: string; format: string }[];
}

/** Does a Prefer header ask for the variants (RFC 7240 §2: a comma-separated list)? */
export function prefersVariants(prefer: string | null | undefined): boolean {
  return (prefer ?? '').split(',').some((p) => p.split(';')[0]!.trim().toLowerCase() === PREFER_VARIANTS);
}
