/** Reads the source header (no pixel decoded) into SourceInfo; refuses what the origin serves not. */
import type { Metadata, Sharp } from 'sharp';
import { ImgedgeError } from '../../shared/errors.js';
import { toTransformError } from './errors.js';
import type { SourceInfo } from './types.js';

/** Decoders the origin runs on stored originals (uploads are sniffed to the same list). */
export const SOURCE_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'webp', 'gif', 'heif', 'tiff']);

const ANIMATABLE = new Set(['gif', 'webp']);

export async function readMetadata(image: Sharp): Promise<Metadata> {
  let meta: Metadata;
  try {
    meta = await image.metadata();
  } catch (err) {
    throw toTransformError(err);
  }
  if (!SOURCE_FORMATS.has(meta.format)) {
    throw new ImgedgeError('invalid_image', `Unsupported source format: ${meta.format}`);
  }
  if (!(meta.width > 0 && meta.height > 0)) {
    throw new ImgedgeError('invalid_image', 'The image has no dimensions');
  }
  return meta;
}

/** SourceInfo of metadata read without `animated` (so `height` is one frame). */
export function toSourceInfo(meta: Metadata): SourceInfo {
  const pages = meta.pages ?? 1;
  const info: SourceInfo = {
    format: meta.format,
    width: meta.autoOrient?.width ?? meta.width,
    height: meta.autoOrient?.height ?? meta.height,
    pages,
    animated: pages > 1 && ANIMATABLE.has(meta.format),
    hasAlpha: meta.hasAlpha,
    hasProfile: meta.hasProfile,
  };
  if (meta.orientation !== undefined) info.orientation = meta.orientation;
  if (meta.delay !== undefined) info.delay = meta.delay;
  if (meta.loop !== undefined) info.loop = meta.loop;
  return info;
}
