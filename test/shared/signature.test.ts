import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../shared/options/index.js';
import { signPath, verifyPath } from '../../shared/signature.js';
import { imageId, spelledOptions, toOptions, toPathForm } from './options/arbitraries.js';

function hexToBase64Url(hex: string): string {
  const bytes = hex.match(/../g)?.map((h) => String.fromCharCode(Number.parseInt(h, 16))) ?? [];
  return btoa(bytes.join('')).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** Flips one base64url character to another valid one. */
function tamper(sig: string, at: number): string {
  const c = sig[at] as string;
  const next = c === 'A' ? 'B' : 'A';
  return sig.slice(0, at) + next + sig.slice(at + 1);
}

const KEY = 'k1-0123456789abcdef';
const OTHER = 'k2-fedcba9876543210';
const PATH = '/img/w=800,h=600,fit=cover/abcdefgh';

describe('signPath / verifyPath', () => {
  it('matches RFC 4231 test case 2 (HMAC-SHA256), base64url without padding', async () => {
    const sig = await signPath('what do ya want for nothing?', 'Jefe');
    expect(sig).toBe(hexToBase64Url('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'));
    expect(sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('verifies with the key it was made with, and with it among rotated keys', async () => {
    const sig = await signPath(PATH, KEY);
    expect(await verifyPath(PATH, sig, [KEY])).toBe(true);
    expect(await verifyPath(PATH, sig, [OTHER, KEY])).toBe(true);
    expect(await verifyPath(PATH, sig, [KEY, OTHER])).toBe(true);
  });

  it('fails for another key, another path, or no key', async () => {
    const sig = await signPath(PATH, KEY);
    expect(await verifyPath(PATH, sig, [OTHER])).toBe(false);
    expect(await verifyPath(`${PATH}x`, sig, [KEY])).toBe(false);
    expect(await verifyPath('/img/w=800,h=600,fit=cover/abcdefgi', sig, [KEY])).toBe(false);
    expect(await verifyPath(PATH, sig, [])).toBe(false);
  });

  it('returns false for malformed or tampered signatures', async () => {
    const sig = await signPath(PATH, KEY);
    const standard = sig.replaceAll('-', '+').replaceAll('_', '/');
    const lastIndex = 'AEIMQUYcgkosw048'.indexOf(sig.at(-1) as string);
    // Same bytes, but non-zero padding bits in the last character: a second spelling.
    const nonCanonical =
      sig.slice(0, -1) +
      'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[lastIndex * 4 + 1];
    for (const bad of [
      '',
      'abc',
      `${sig}=`,
      `${sig}A`,
      sig.slice(0, -1),
      ` ${sig}`,
      `${sig.slice(0, 20)}\u0000${sig.slice(21)}`,
      `${sig.slice(0, 20)}é${sig.slice(21)}`,
      tamper(sig, 0),
      tamper(sig, 42),
      nonCanonical,
      sig.toUpperCase() === sig ? sig.toLowerCase() : sig.toUpperCase(),
    ]) {
      expect(await verifyPath(PATH, bad, [KEY]), JSON.stringify(bad)).toBe(false);
    }
    if (standard !== sig) expect(await verifyPath(PATH, standard, [KEY])).toBe(false);
  });

  it('refuses an empty signing key', async () => {
    await expect(signPath(PATH, '')).rejects.toThrow(/empty/);
  });

  it('keeps working past the key cache size (rotation through many keys)', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`);
    const sigs = await Promise.all(keys.map((k) => signPath(PATH, k)));
    expect(new Set(sigs).size).toBe(keys.length);
    for (const [i, k] of keys.entries()) {
      expect(await verifyPath(PATH, sigs[i] as string, [k])).toBe(true);
      expect(await verifyPath(PATH, sigs[i] as string, [keys[(i + 1) % keys.length] as string])).toBe(false);
    }
  });
});

const key = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_'),
  minLength: 1,
  maxLength: 80,
});

describe('signatures (properties)', () => {
  it('verify exactly for the path and key they were made for', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.string(),
        key,
        key,
        async (p1, p2, k1, k2) => {
          const sig = await signPath(p1, k1);
          expect(await verifyPath(p1, sig, [k1])).toBe(true);
          expect(await verifyPath(p2, sig, [k1])).toBe(p1 === p2);
          expect(await verifyPath(p1, sig, [k2])).toBe(k1 === k2);
        },
      ),
    );
  });

  it('a signature over a canonical path verifies another URL only if it has the same canonical path', async () => {
    await fc.assert(
      fc.asyncProperty(spelledOptions, spelledOptions, imageId, async (a, b, id) => {
        const pathOf = (c: string) => (c === '' ? `/img/${id}` : `/img/${c}/${id}`);
        const pathA = pathOf(canonicalize(toOptions(a)));
        const pathB = pathOf(canonicalize(toOptions(b)));
        const sig = await signPath(pathA, KEY);
        expect(await verifyPath(pathB, sig, [KEY])).toBe(pathA === pathB);
        // A non-canonical spelling of the same options is not what was signed.
        const raw = toPathForm(a);
        if (raw !== '' && `/img/${raw}/${id}` !== pathA) {
          expect(await verifyPath(`/img/${raw}/${id}`, sig, [KEY])).toBe(false);
        }
      }),
    );
  });
});
