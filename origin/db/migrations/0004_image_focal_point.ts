import type { Migration } from './types.js';

/**
 * The image's default focal point (issue 13): fractions of its width and height (0..1, stored
 * rounded to 3 decimals like the URL's `g=<x>x<y>`), used by cover/crop variants whose URL gives no
 * gravity. Both null (none) or both set.
 *
 * Additive (expand): nullable columns, so the previous release keeps inserting rows without them.
 * The checks are added NOT VALID: no scan of the table under its lock (every existing row is null),
 * while every insert and update from now on is checked.
 */
export const m0004ImageFocalPoint: Migration = {
  version: '0004_image_focal_point',
  statements: [
    'alter table images add column focal_x double precision',
    'alter table images add column focal_y double precision',
    `alter table images add constraint images_focal_point check (
      (focal_x is null and focal_y is null)
      or (focal_x between 0 and 1 and focal_y between 0 and 1)
    ) not valid`,
  ],
};
