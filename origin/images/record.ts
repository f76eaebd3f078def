import type { ImageRow } from '../db/images.js';

/** The public JSON form of an image (the API's `image` object). */
export interface ImageRecord {
  id: string;
  sha256: string;
  width: number;
  height: number;
  format: string;
  bytes: number;
  frames: number;
  has_alpha: boolean;
  created_at: string;
  url: string;
}

export function toRecord(row: ImageRow, publicBaseUrl: string | undefined): ImageRecord {
  return {
    id: row.id,
    sha256: row.sha256,
    width: row.width,
    height: row.height,
    format: row.format,
    bytes: row.bytes,
    frames: row.frames,
    has_alpha: row.hasAlpha,
    created_at: new Date(row.createdAt).toISOString(),
    url: `${publicBaseUrl ?? ''}/img/${row.id}`,
  };
}
