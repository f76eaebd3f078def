/**
 * Listing cursors and page sizes, in one place.
 *
 * The cursor is a keyset position for listings ordered by (created_at desc, id desc): base64url
 * of `<created_at>|<id>`, where created_at is the server's own UTC text with microseconds (JS Dates
 * stop at milliseconds, which would skip or repeat rows created in the same ms).
 *
 * It leaves the origin sealed (CursorSealer): `<cursor>.<mac>`, the MAC (HMAC-SHA256 under a key
 * derived from SECRET_KEY) binding it to its owner. A cursor that was edited, forged or taken from
 * another owner's listing is a 400 instead of a position the client chose.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ImgedgeError } from '../../shared/errors.js';

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

/** Every refused cursor (malformed, edited, forged or another owner's) is this one 400. */
function invalid(): ImgedgeError {
  return new ImgedgeError('invalid_request', 'The cursor is not valid for this listing', {
    extra: { key: 'cursor', parameter: 'cursor' },
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

/** Page size of a listing: the one place for its bounds and default (route and db layer). */
export const LIST_LIMIT_DEFAULT = 20;
export const LIST_LIMIT_MAX = 100;

/**
 * A listing's `limit`, from the query string (text) or a caller (number); absent → the default.
 * Anything else than an integer from 1 to LIST_LIMIT_MAX is ImgedgeError('invalid_request'),
 * worded like an invalid image option: "limit must be an integer from 1 to 100, got "abc"".
 */
export function listLimit(value: string | number | undefined): number {
  if (value === undefined) return LIST_LIMIT_DEFAULT;
  const n = typeof value === 'number' ? value : /^[0-9]{1,4}$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isInteger(n) && n >= 1 && n <= LIST_LIMIT_MAX) return n;
  const given = String(value);
  const echoed = given.length > 64 ? `${given.slice(0, 64)}…` : given;
  return invalidLimit(echoed);
}

function invalidLimit(value: string): never {
  throw new ImgedgeError(
    'invalid_request',
    `limit must be an integer from 1 to ${LIST_LIMIT_MAX}, got ${JSON.stringify(value)}`,
    { extra: { key: 'limit', parameter: 'limit', value, allowed: `1..${LIST_LIMIT_MAX}` } },
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

/** Seals cursors for their owner on the way out and opens (verifies) them on the way back in. */
export class CursorSealer {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('imgedge list cursor v1').digest();
  }

  seal(cursor: string, owner: string): string {
    return `${cursor}.${this.mac(cursor, owner).toString('base64url')}`;
  }

  /** The inner cursor; throws 400 invalid_request for anything this origin did not seal for `owner`. */
  open(sealed: string, owner: string): string {
    const dot = sealed.lastIndexOf('.');
    const cursor = sealed.slice(0, dot);
    // Compare the text, not the decoded bytes: only the one canonical spelling is accepted.
    const given = Buffer.from(sealed.slice(dot + 1));
    const expected = Buffer.from(this.mac(cursor, owner).toString('base64url'));
    if (dot <= 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
    return cursor;
  }

  private mac(cursor: string, owner: string): Buffer {
    return createHmac('sha256', this.key).update(owner).update('\0').update(cursor).digest().subarray(0, 16);
  }
}
