/** The listing's limit has one default and one bound, for the route and the db layer alike. */
import { describe, expect, it } from 'vitest';
import { LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, listLimit } from '../../../origin/db/cursor.js';
import { LIST_LIMIT_DEFAULT as DB_DEFAULT, LIST_LIMIT_MAX as DB_MAX } from '../../../origin/db/images.js';

describe('listLimit', () => {
  it('defaults to 20, the documented default, and allows 1..100', () => {
    expect([LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX]).toEqual([20, 100]);
    expect([DB_DEFAULT, DB_MAX]).toEqual([20, 100]);
    expect(listLimit(undefined)).toBe(20);
    expect(listLimit('1')).toBe(1);
    expect(listLimit('100')).toBe(100);
    expect(listLimit(7)).toBe(7);
  });

  it('refuses anything else with the options grammar wording', () => {
    for (const bad of ['abc', '0', '101', '1.5', ' 5', '1e2', '', 0, 101, 1.5, Number.NaN]) {
      expect(() => listLimit(bad)).toThrow(
        expect.objectContaining({
          code: 'invalid_request',
          message: `limit must be an integer from 1 to 100, got ${JSON.stringify(String(bad))}`,
        }),
      );
    }
  });
});
