import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../../origin/db/cursor.js';

describe('keyset cursor', () => {
  it('round-trips a position, ids with any printable characters included', () => {
    for (const id of ['abc', 'a|b|c', 'ünï-cödé', 'x'.repeat(200)]) {
      const pos = { createdAt: '2026-11-26T06:30:15.593123Z', id };
      const cursor = encodeCursor(pos);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(cursor)).toEqual(pos);
    }
  });

  it('accepts leap days and rejects impossible dates', () => {
    const at = (createdAt: string) => () => decodeCursor(encodeCursor({ createdAt, id: 'x' }));
    expect(at('2024-02-29T23:59:59.999999Z')).not.toThrow();
    for (const bad of [
      '2025-02-29T00:00:00.000000Z',
      '2026-04-31T00:00:00.000000Z',
      '2026-01-01T24:00:00.000000Z',
    ]) {
      expect(at(bad), bad).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    }
  });
});
