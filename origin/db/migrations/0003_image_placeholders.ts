import type { Migration } from './types.js';

/**
 * The image's low-quality placeholder (issue 13): `{thumbhash, color}` as one jsonb value, or null
 * until uploads compute it (new images) or `npm run backfill -- placeholders` does (older images).
 *
 * Additive (expand): a nullable column, so the previous release keeps inserting rows without it.
 * The shape check is added NOT VALID: no scan of the table under its lock (every existing row is
 * null anyway), while every insert and update from now on is checked.
 */
export const m0003ImagePlaceholders: Migration = {
  version: '0003_image_placeholders',
  statements: [
    'alter table images add column placeholder jsonb',
    // coalesce: a missing member makes the comparison null, which a check would let through.
    `alter table images add constraint images_placeholder_shape check (
      placeholder is null or coalesce(
        jsonb_typeof(placeholder) = 'object'
        and placeholder - 'thumbhash' - 'color' = '{}'::jsonb
        and jsonb_typeof(placeholder->'thumbhash') = 'string'
        and jsonb_typeof(placeholder->'color') = 'string'
        and placeholder->>'thumbhash' ~ '^[A-Za-z0-9+/]{4,64}={0,2}$'
        and placeholder->>'color' ~ '^#[0-9a-f]{6}$',
        false
      )
    ) not valid`,
  ],
};
