import { ImgedgeError } from '../../shared/errors.js';
import type { Db } from '../db/driver.js';
import { getImage, softDeleteImage } from '../db/images.js';
import type { RequestedVariant } from '../variants/disk-cache.js';
import type { Focal } from './focal.js';
import { type ReleaseDeps, releaseOriginal } from './release.js';
import { lockSource } from './source-lock.js';

export interface DeleteDeps extends ReleaseDeps {
  db: Db;
}

/**
 * Delete an owner's image: the row goes; the original and its variants go too when nothing else —
 * no other live image (of any owner), no cached remote source — has the same bytes. Another
 * owner's image is a 404, like a missing one, so ids cannot be probed.
 *
 * Returns every variant made of the image's bytes (by canonical options and requested format) —
 * by this origin (its tier-1 list) and by any replica (tier 2) — so that the edge can drop the
 * matching keys from its own cache; and `removedSha256` when the bytes went too, so that every
 * replica drops its tier-1 variants of them; and the image's focal point (the edge keyed its
 * variants without `g` under the options without it, see variants/stored-focal.ts).
 */
export async function deleteImage(
  deps: DeleteDeps,
  owner: string,
  id: string,
): Promise<{ variants: RequestedVariant[]; removedSha256: string | undefined; focal: Focal | null }> {
  const target = await getImage(deps.db, id);
  if (!target || target.owner !== owner) throw new ImgedgeError('not_found', 'No such image');
  return deps.db.transaction(async (tx) => {
    await lockSource(tx, target.sha256);
    const deleted = await softDeleteImage(tx, id, owner);
    if (!deleted) throw new ImgedgeError('not_found', 'No such image');
    const { variants, removed } = await releaseOriginal(deps, tx, target.sha256);
    return { variants, removedSha256: removed ? target.sha256 : undefined, focal: deleted.focal };
  });
}
