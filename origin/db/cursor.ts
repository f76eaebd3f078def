import { ImgedgeError } from '../../shared/errors.js';

/**
 * Opaque keyset cursor for listings ordered by (created_at desc, id desc): base64url of
 * `<created_at>|<id>`, where created_at is the server's own UTC text with microseconds
 * (JS Dates stop at milliseconds, which would skip or repeat rows created in the same ms).
 */
export interface KeysetPosition {
  /** `YYYY-MM-DDTHH:MM:SS.ffffffZ`, as produced by CURSOR_TS_SQL. */
  createdAt: string;
  id: string;
}

/** SQL expression rendering `created_at` in the cursor's timestamp form. */
export const CURSOR_TS_SQL = `to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const TS_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{6}Z$/;
const B64URL_RE = /^[A-Za-z0-9_-]+$/;
const MAX_CURSOR_CHARS = 512;

export function encodeCursor(pos: KeysetPosition): string {
  return Buffer.from(`${pos.createdAt}|${pos.id}`, 'utf8').toString('base64url');
}

function invalid(): ImgedgeError {
  return new ImgedgeError('invalid_request', 'cursor is not valid for this listing', {
    extra: { key: 'cursor' },
  });
}

function isRealTimestamp(ts: string): boolean {
  const m = TS_RE.exec(ts);
  if (!m) return false;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return (
    date.getUTCFullYear() === y &&
    date.getUTCMonth() === mo - 1 &&
    date.getUTCDate() === d &&
    date.getUTCHours() === h &&
    date.getUTCMinutes() === mi &&
    date.getUTCSeconds() === s
  );
}

/** Decodes a cursor from a client; anything malformed is ImgedgeError('invalid_request'). */
export function decodeCursor(cursor: string): KeysetPosition {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_CHARS || !B64URL_RE.test(cursor)) throw invalid();
  const buf = Buffer.from(cursor, 'base64url');
  // Node's decoder is lenient: only the canonical encoding of the decoded bytes is accepted.
  if (buf.toString('base64url') !== cursor) throw invalid();
  const text = buf.toString('utf8');
  if (Buffer.from(text, 'utf8').toString('base64url') !== cursor) throw invalid();
  const sep = text.indexOf('|');
  if (sep < 0) throw invalid();
  const createdAt = text.slice(0, sep);
  const id = text.slice(sep + 1);
  if (!isRealTimestamp(createdAt) || id.length === 0 || /\p{Cc}/u.test(id)) throw invalid();
  return { createdAt, id };
}
