import { m0001Init } from './0001_init.js';
import { m0002SourceCache } from './0002_source_cache.js';
import { m0003ImagePlaceholders } from './0003_image_placeholders.js';
import { m0004ImageFocalPoint } from './0004_image_focal_point.js';
import type { Migration } from './types.js';

export type { Migration } from './types.js';

/** Every migration, in the order they apply. Append new ones at the end. */
export const MIGRATIONS: readonly Migration[] = [
  m0001Init,
  m0002SourceCache,
  m0003ImagePlaceholders,
  m0004ImageFocalPoint,
];
