/** Helpers for the origin's HTTP API tests: problem+json checks, hashes, stored files, JWTs. */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { expect } from 'vitest';
import type { TestOrigin } from '../../support/origin.js';

export const PROBLEM_JSON = 'application/problem+json';

import type { ImageRecord } from '../../../origin/images/record.js';
import { REQUESTED_FILE } from '../../../origin/variants/disk-cache.js';

export type { ImageRecord };

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  [extension: string]: unknown;
}

/**
 * Asserts an RFC 9457 error: the status, `content-type: application/problem+json`, the stable
 * `code`, `status` mirrored in the body, and no stack trace or server path leaking out.
 */
export async function expectProblem(res: Response, status: number, code: string): Promise<Problem> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toBe(PROBLEM_JSON);
  const body = JSON.parse(text) as Problem;
  expect(body.code, text).toBe(code);
  expect(body.status).toBe(status);
  expect(text).not.toMatch(/\n\s+at |\bat [\w.<>]+ \(|node_modules|\/tmp\//);
  return body;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** Every regular file under `dir`, as paths relative to it (missing dir → []). */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    },
  );
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** Whether the origin's store (folder or bucket) holds the original with these bytes. */
export function hasOriginal(origin: TestOrigin, sha256: string): Promise<boolean> {
  return origin.originals.exists(sha256);
}

/** The folder holding every cached variant of one original. */
export function variantDir(origin: TestOrigin, sha256: string): string {
  return join(origin.dirs.output, sha256.slice(0, 2), sha256);
}

/** The sha256 of every stored original, sorted (whichever the backend). */
export async function storedOriginals(origin: TestOrigin): Promise<string[]> {
  const shas: string[] = [];
  for await (const sha of origin.originals.list()) shas.push(sha);
  return shas.sort();
}

/** An unsecured JWT (`alg: none`, RFC 7519 §6), built by hand: jose refuses to make one. */
export function unsecuredJwt(claims: Record<string, unknown>): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.`;
}

/** Standard claims of a token the origin would accept, minus the signature. */
export function validClaims(
  origin: TestOrigin,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: origin.config.jwt.issuer,
    aud: origin.config.jwt.audience,
    sub: 'crafted-client',
    scope: 'images:read images:write',
    iat: now,
    exp: now + 300,
    ...extra,
  };
}

/** A token for a distinct owner (crafted with the origin's key: no scrypt, so cheap). */
export function ownerToken(origin: TestOrigin, owner: string, scope = 'images:read images:write') {
  return origin.craftToken({ sub: owner, scope });
}

/** Upload as the `file` field of multipart/form-data (fetch writes the boundary). */
export function uploadMultipart(
  origin: TestOrigin,
  bytes: Uint8Array,
  token: string,
  type = 'application/octet-stream',
  field = 'file',
): Promise<Response> {
  const form = new FormData();
  form.append(field, new Blob([new Uint8Array(bytes)], { type }), 'upload.bin');
  return fetch(`${origin.api}/images`, { method: 'POST', headers: bearer(token), body: form });
}

/** Upload and expect 201: the record. */
export async function uploadOk(origin: TestOrigin, bytes: Uint8Array, token: string): Promise<ImageRecord> {
  const res = await origin.upload(bytes, token, 'image/png');
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return JSON.parse(text) as ImageRecord;
}

/** Encode `source` to one of the upload formats with real sharp. */
export function encodeAs(source: Buffer, format: 'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'tiff') {
  const img = sharp(source);
  switch (format) {
    case 'jpeg':
      return img.jpeg({ quality: 85 }).toBuffer();
    case 'png':
      return img.png().toBuffer();
    case 'webp':
      return img.webp({ quality: 80 }).toBuffer();
    case 'gif':
      return img.gif().toBuffer();
    case 'avif':
      return img.avif({ quality: 50, effort: 0 }).toBuffer();
    case 'tiff':
      return img.tiff({ compression: 'lzw' }).toBuffer();
  }
}

/** The variant cache's variant files for one original (not its list of requested variants). */
export async function variantFiles(origin: TestOrigin, sha256: string): Promise<string[]> {
  return (await filesUnder(variantDir(origin, sha256))).filter((f) => !f.endsWith(REQUESTED_FILE));
}
