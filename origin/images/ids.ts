import { randomBytes } from 'node:crypto';

/** 128 random bits, URL-safe: 22 base64url characters. */
export function newImageId(): string {
  return randomBytes(16).toString('base64url');
}

export function newClientId(): string {
  return `cl_${randomBytes(12).toString('base64url')}`;
}

export function newClientSecret(): string {
  return randomBytes(32).toString('base64url');
}
