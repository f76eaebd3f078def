/**
 * Letting go of an original's bytes: an image was deleted, or a cached remote source was purged or
 * changed. The bytes, and every variant made of them (tier 1 here, tier 2 in the bucket), go only
 * when nothing else — no live image of any owner, no cached source — names them.
 */
import type { Db } from '../db/driver.js';
import { originalReferenced } from '../db/references.js';
import type { OriginalStore } from '../storage/originals.js';
import type { VariantStore } from '../storage/variant-store.js';
import type { RequestedVariant, VariantCache } from '../variants/disk-cache.js';
import { lockSource } from './source-lock.js';

export interface ReleaseDeps {
  originals: OriginalStore;
  variantCache: VariantCache;
  /** Tier 2 (the shared bucket), when there is one. */
  variantStore?: VariantStore | undefined;
  /** The originals' mezzanines (origin/mezzanine/): one goes with its original. */
  mezzanines?: { remove(sha256: string): Promise<void> } | undefined;
}

export interface Released {
  /** Every variant made of the bytes (by this origin's tier 1 and by any replica in tier 2). */
  variants: RequestedVariant[];
  /** True when the bytes and their variants were removed (nothing references them any more). */
  removed: boolean;
}

/**
 * In the caller's transaction, after it dropped its own reference: lock the bytes (lockSource, so
 * an upload or a source fetch committing the same bytes waits), list their variants, and remove
 * bytes (the original and its mezzanine) and variants when they are unreferenced.
 */
export async function releaseOriginal(deps: ReleaseDeps, tx: Db, sha256: string): Promise<Released> {
  await lockSource(tx, sha256);
  const variants = await madeVariants(deps, sha256);
  if (await originalReferenced(tx, sha256)) return { variants, removed: false };
  await deps.originals.remove(sha256);
  await deps.mezzanines?.remove(sha256);
  await deps.variantStore?.removeSource(sha256);
  await deps.variantCache.removeSource(sha256);
  return { variants, removed: true };
}

/** Every variant made of the bytes: by this origin (its tier-1 list) and by any replica (tier 2). */
export async function madeVariants(
  deps: Pick<ReleaseDeps, 'variantCache' | 'variantStore'>,
  sha256: string,
): Promise<RequestedVariant[]> {
  return merged(
    await deps.variantCache.requested(sha256),
    deps.variantStore ? await deps.variantStore.list(sha256) : [],
  );
}

function merged(...lists: RequestedVariant[][]): RequestedVariant[] {
  const seen = new Map<string, RequestedVariant>();
  for (const v of lists.flat()) seen.set(`${v.canonical}\t${v.format}`, v);
  return [...seen.values()];
}
