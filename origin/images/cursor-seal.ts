/**
 * List cursors leave the origin sealed: `<cursor>.<mac>`, the MAC (HMAC-SHA256 under a key derived
 * from SECRET_KEY) binding the cursor to its owner. A cursor that was edited, forged or taken from
 * another owner's listing is a 400 instead of a position the client chose.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ImgedgeError } from '../../shared/errors.js';

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
    if (dot <= 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ImgedgeError('invalid_request', 'The cursor is not valid for this listing', {
        extra: { parameter: 'cursor' },
      });
    }
    return cursor;
  }

  private mac(cursor: string, owner: string): Buffer {
    return createHmac('sha256', this.key).update(owner).update('\0').update(cursor).digest().subarray(0, 16);
  }
}
