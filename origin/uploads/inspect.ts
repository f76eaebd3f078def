/**
 * The checks every original passes before it is stored, whether uploaded or fetched from a remote
 * source: magic-byte sniffing (SVG and non-images → 415), a header probe under the pixel cap
 * (→ 422 image_too_large, before any pixel is decoded) with MAX_ANIMATION_FRAMES, one full decode
 * into a thumbnail (truncated or corrupt data → 422 invalid_image) and the placeholder made from it
 * (uploads/check.ts). All but the sniff run in the transforms' bounded pool (503 when full).
 */
import type { Placeholder } from '../images/placeholder.js';
import type { ProbeResult } from '../transform/types.js';
import type { WorkPool } from '../variants/work-pool.js';
import { checkUpload, type UploadChecks } from './check.js';
import { sniffImageType } from './sniff.js';

export interface InspectDeps extends UploadChecks {
  pool: WorkPool;
}

export interface Inspected {
  /** The format from the magic bytes (sniff.ts). */
  format: string;
  info: ProbeResult;
  /** ThumbHash and colour, made from the decode check's thumbnail (no second decode). */
  placeholder: Placeholder;
}

/** `file`: a complete local file and its first bytes (receive.ts). */
export async function inspectImage(
  file: { path: string; head: Uint8Array },
  deps: InspectDeps,
): Promise<Inspected> {
  const { format } = await sniffImageType(file.head, file.path);
  const { info, placeholder } = await deps.pool.run(() => checkUpload(file.path, deps));
  return { format, info, placeholder };
}
