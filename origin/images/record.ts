import type { ImageRow } from '../db/images.js';
import type { Focal } from './focal.js';
import type { Placeholder } from './placeholder.js';

/**
 * What the original is: the part of the image record `f=json` answers too (issue 13), in the
 * API's names. `placeholder` is null until computed: uploads compute it, older images get it
 * from `npm run backfill -- placeholders`; reading a record never computes it.
 */
export interface OriginalInfo {
  width: number;
  height: number;
  format: string;
  bytes: number;
  frames: number;
  has_alpha: boolean;
  placeholder: Placeholder | null;
  /**
   * The stored default focal point (PATCH /images/:id), fractions of width and height; null when
   * none is stored (and always for a remote source image).
   */
  focal: Focal | null;
}

/** The public JSON form of an image (the API's `image` object). */
export interface ImageRecord extends OriginalInfo {
  id: string;
  sha256: string;
  created_at: string;
  url: string;
}

export function originalInfo(row: ImageRow): OriginalInfo {
  return {
    width: row.width,
    height: row.height,
    format: row.format,
    bytes: row.bytes,
    frames: row.frames,
    has_alpha: row.hasAlpha,
    placeholder: row.placeholder
      ? { thumbhash: row.placeholder.thumbhash, color: row.placeholder.color }
      : null,
    focal: row.focal ? { x: row.focal.x, y: row.focal.y } : null,
  };
}

export function toRecord(row: ImageRow, publicBaseUrl: string | undefined): ImageRecord {
  const { width, height, format, bytes, frames, has_alpha, placeholder, focal } = originalInfo(row);
  return {
    id: row.id,
    sha256: row.sha256,
    width,
    height,
    format,
    bytes,
    frames,
    has_alpha,
    placeholder,
    focal,
    created_at: new Date(row.createdAt).toISOString(),
    url: `${publicBaseUrl ?? ''}/img/${row.id}`,
  };
}
