/**
 * The checks every original passes before it is stored, whether uploaded or fetched from a remote
 * source: magic-byte sniffing (SVG and non-images → 415), a header probe under the pixel cap
 * (→ 422 image_too_large, before any pixel is decoded) and one full decode (truncated or corrupt
 * data → 422 invalid_image). Probe and decode run in the transforms' bounded pool (503 when full).
 */
import { probe } from '../transform/index.js';
import type { ProbeResult } from '../transform/types.js';
import type { WorkPool } from '../variants/work-pool.js';
import { sniffImageType } from './sniff.js';
import { verifyDecodes } from './verify.js';

export interface InspectDeps {
  pool: WorkPool;
  maxInputPixels: number;
}

export interface Inspected {
  /** The format from the magic bytes (sniff.ts). */
  format: string;
  info: ProbeResult;
}

/** `file`: a complete local file and its first bytes (receive.ts). */
export async function inspectImage(
  file: { path: string; head: Uint8Array },
  deps: InspectDeps,
): Promise<Inspected> {
  const { format } = await sniffImageType(file.head, file.path);
  const info = await deps.pool.run(async () => {
    const probed = await probe(file.path, { maxInputPixels: deps.maxInputPixels });
    await verifyDecodes(file.path, { maxInputPixels: deps.maxInputPixels, animated: probed.frames > 1 });
    return probed;
  });
  return { format, info };
}
