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

/**
 * An input that stands for another image (a mezzanine, TransformRequest.planAs) carries no ICC
 * profile — libvips would convert every decoded pixel through it, ≈30 ms at 3 MP — and says in
 * this XMP packet that the image it stands for carried one, so its variants are tagged sRGB as
 * the original's are (steps/colour-space.ts). Inputs that stand for nothing are never read for it.
 */
export const STANDS_FOR_PROFILE_XMP =
  '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
  '<rdf:Description rdf:about="" xmlns:imgedge="https://imgedge.dev/ns/1/" imgedge:standsForProfile="srgb"/>' +
  '</rdf:RDF></x:xmpmeta>';

/** Whether a stand-in's header says the image it stands for carried an ICC profile. */
export function standsForProfile(meta: Pick<Metadata, 'xmpAsString'>): boolean {
  return meta.xmpAsString?.includes('imgedge:standsForProfile="srgb"') === true;
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
