/**
 * Signed URLs: `sig` = base64url (no padding) of HMAC-SHA256(key, canonical path).
 * Web Crypto only (runs in workerd and Node). Verification accepts any of several keys (rotation)
 * and uses crypto.subtle.verify, which compares MACs in constant time.
 */

const HMAC = { name: 'HMAC', hash: 'SHA-256' } as const;
/** 32 bytes → 43 base64url characters; the last one carries 2 zero padding bits. */
const SIGNATURE = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
const MAX_CACHED_KEYS = 16;

/** CryptoKey, spelled so it type-checks under both the Node and the Workers typings. */
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

const encoder = new TextEncoder();
/** key string → imported CryptoKey; tiny and bounded (there are only a few signing keys). */
const keyCache = new Map<string, Promise<HmacKey>>();

function importKey(key: string): Promise<HmacKey> {
  if (key === '') throw new TypeError('signing key must not be empty');
  let imported = keyCache.get(key);
  if (imported === undefined) {
    if (keyCache.size >= MAX_CACHED_KEYS) keyCache.delete(keyCache.keys().next().value as string);
    imported = crypto.subtle.importKey('raw', encoder.encode(key), HMAC, false, ['sign', 'verify']);
    imported.catch(() => keyCache.delete(key));
    keyCache.set(key, imported);
  }
  return imported;
}

export async function signPath(path: string, key: string): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', await importKey(key), encoder.encode(path));
  return toBase64Url(new Uint8Array(mac));
}

/** True when `sig` is the signature of `path` under one of `keys`; false for any malformed sig. */
export async function verifyPath(path: string, sig: string, keys: readonly string[]): Promise<boolean> {
  if (!SIGNATURE.test(sig)) return false;
  const mac = fromBase64Url(sig);
  const data = encoder.encode(path);
  for (const key of keys) {
    if (await crypto.subtle.verify('HMAC', await importKey(key), mac, data)) return true;
  }
  return false;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
