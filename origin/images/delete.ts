import { ImgedgeError } from '../../shared/errors.js';
import type { Db } from '../db/driver.js';
import { countLiveBySha, getImage, softDeleteImage } from '../db/images.js';
import type { OriginalStore } from '../storage/originals.js';
import type { VariantStore } from '../storage/variant-store.js';
import type { RequestedVariant, VariantCache } from '../variants/disk-cache.js';
import { lockSource } from './source-lock.js';

export interface DeleteDeps {
  db: Db;
  originals: OriginalStore;
  variantCache: VariantCache;
  /** Tier 2 (the shared bucket), when there is one. */
  variantStore?: VariantStore | undefined;
}

/**
 * Delete an owner's image: the row goes; the original and its variants go too when no other live
 * image (of any owner) has the same bytes. Another owner's image is a 404, like a missing one, so
 * ids cannot be probed.
 *
 * Returns every variant made of the image's bytes (by canonical options and requested format) —
 * by this origin (its tier-1 list) and by any replica (tier 2) — so that the edge can drop the
 * matching keys from its own cache; and `removedSha256` when the bytes went too, so that every
 * replica drops its tier-1 variants of them.
 */
export async function deleteImage(
  deps: DeleteDeps,
  owner: string,
  id: string,
): Promise<{ variants: RequestedVariant[]; removedSha256: string | undefined }> {
  const target = await getImage(deps.db, id);
  if (!target || target.owner !== owner) throw new ImgedgeError('not_found', 'No such image');
  return deps.db.transaction(async (tx) => {
    await lockSource(tx, target.sha256);
    const deleted = await softDeleteImage(tx, id, owner);
    if (!deleted) throw new ImgedgeError('not_found', 'No such image');
    const variants = merged(
      await deps.variantCache.requested(target.sha256),
      deps.variantStore ? await deps.variantStore.list(target.sha256) : [],
    );
    if ((await countLiveBySha(tx, target.sha256)) > 0) return { variants, removedSha256: undefined };
    await deps.originals.remove(target.sha256);
    await deps.variantStore?.removeSource(target.sha256);
    await deps.variantCache.removeSource(target.sha256);
    return { variants, removedSha256: target.sha256 };
  });
}

function merged(...lists: RequestedVariant[][]): RequestedVariant[] {
  const seen = new Map<string, RequestedVariant>();
  for (const v of lists.flat()) seen.set(`${v.canonical}\t${v.format}`, v);
  return [...seen.values()];
}
