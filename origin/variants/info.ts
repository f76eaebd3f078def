/**
 * `f=json` (issue 13): a variant's metadata instead of its bytes. The output's facts are read from
 * the image variant `f=auto` serves the same client (same options without `f`, same negotiated
 * class) — taken from the variant caches when there, else made (and cached) by the pipeline — and
 * the original's from its image record, or, for a remote source image (no record), from its bytes.
 */
import type { OriginalInfo } from '../images/record.js';
import { probe } from '../transform/index.js';
import { checkUpload } from '../uploads/check.js';

/** The `f=json` document. */
export interface VariantInfo {
  /** The output as served: width and height (of one frame), format, bytes. */
  width: number;
  height: number;
  format: string;
  bytes: number;
  original: OriginalInfo;
}

export const INFO_FORMAT = 'json';
export const INFO_CONTENT_TYPE = 'application/json';

/** The output's facts, from the variant's header. */
export async function outputInfo(
  data: Buffer,
  format: string,
): Promise<Pick<VariantInfo, 'width' | 'height' | 'format' | 'bytes'>> {
  const { width, height } = await probe(data);
  return { width, height, format, bytes: data.byteLength };
}

/**
 * A source image's facts, from its bytes: what the record of an upload holds, the placeholder made
 * as for an upload (one decode; the answer is cached with the variant).
 */
export async function sourceOriginalInfo(bytes: Buffer, maxInputPixels: number): Promise<OriginalInfo> {
  const { info, placeholder } = await checkUpload(bytes, { maxInputPixels });
  return {
    width: info.width,
    height: info.height,
    format: info.format,
    bytes: bytes.byteLength,
    frames: info.frames,
    has_alpha: info.hasAlpha,
    placeholder,
    focal: null,
  };
}

export function infoDocument(info: VariantInfo): Buffer {
  return Buffer.from(JSON.stringify(info));
}
