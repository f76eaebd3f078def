import { ImgedgeError } from '../../shared/errors.js';
import type { Db } from '../db/driver.js';
import { countLiveBySha, getImage, softDeleteImage } from '../db/images.js';
import type { OriginalStore } from '../storage/originals.js';
import type { RequestedVariant, VariantCache } from '../variants/disk-cache.js';
import { lockSource } from './source-lock.js';

export interface DeleteDeps {
  db: Db;
  originals: OriginalStore;
  variantCache: VariantCache;
}

/**
 * Delete an owner's image: the row goes; the original and its variants go too when no other live
 * image (of any owner) has the same bytes. Another owner's image is a 404, like a missing one, so
 * ids cannot be probed.
 *
 * Returns every variant this origin made of the image's bytes (by canonical options and requested
 * format), so that the edge can drop the matching keys from its own cache.
 */
export async function deleteImage(
  deps: DeleteDeps,
  owner: string,
  id: string,
): Promise<{ variants: RequestedVariant[] }> {
  const target = await getImage(deps.db, id);
  if (!target || target.owner !== owner) throw new ImgedgeError('not_found', 'No such image');
  return deps.db.transaction(async (tx) => {
    await lockSource(tx, target.sha256);
    const deleted = await softDeleteImage(tx, id, owner);
    if (!deleted) throw new ImgedgeError('not_found', 'No such image');
    const variants = await deps.variantCache.requested(target.sha256);
    if ((await countLiveBySha(tx, target.sha256)) === 0) {
      await deps.originals.remove(target.sha256);
      await deps.variantCache.removeSource(target.sha256);
    }
    return { variants };
  });
}
