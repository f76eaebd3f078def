import { randomBytes } from 'node:crypto';

/** 128 random bits, URL-safe: 22 base64url characters. */
export function newImageId(): string {
  return randomBytes(16).toString('base64url');
}
