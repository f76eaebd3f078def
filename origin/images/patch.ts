import { ImgedgeError } from '../../shared/errors.js';
import type { Db } from '../db/driver.js';
import { getImage, type ImageRow, setFocal } from '../db/images.js';
import type { RequestedVariant } from '../variants/disk-cache.js';
import { type Focal, type ImagePatch, sameFocal } from './focal.js';
import { madeVariants, type ReleaseDeps } from './release.js';

export interface PatchDeps extends Pick<ReleaseDeps, 'variantCache' | 'variantStore'> {
  db: Db;
}

export interface Patched {
  row: ImageRow;
  /** The focal point moved: variants cropped around the old one are stale. */
  changed: boolean;
  /** The focal point before the change (what the stale variants were keyed with). */
  focalBefore: Focal | null;
  /** When changed: every variant made of the image's bytes (tier 1 here, tier 2), for the edge. */
  variants: RequestedVariant[];
}

/**
 * Apply a validated PATCH (images/focal.ts) to an owner's image. Another owner's image is a 404,
 * like a missing one. An empty patch changes nothing and answers the record.
 */
export async function patchImage(
  deps: PatchDeps,
  owner: string,
  id: string,
  patch: ImagePatch,
): Promise<Patched> {
  if (patch.focal === undefined) {
    const row = await getImage(deps.db, id);
    if (!row || row.owner !== owner) throw new ImgedgeError('not_found', 'No such image');
    return { row, changed: false, focalBefore: row.focal, variants: [] };
  }
  const result = await setFocal(deps.db, id, owner, patch.focal);
  if (!result) throw new ImgedgeError('not_found', 'No such image');
  const { before, after } = result;
  const changed = !sameFocal(before.focal, after.focal);
  return {
    row: after,
    changed,
    focalBefore: before.focal,
    variants: changed ? await madeVariants(deps, after.sha256) : [],
  };
}
