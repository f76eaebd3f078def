/**
 * The README's signing section must match the code: the shell example produces exactly what the
 * edge verifies (with tools macOS has too), and the documented key order is the canonical one.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalize, canonicalPathOf, OPTION_KEYS, parseOptions } from '../../shared/options/index.js';
import { signPath, verifyPath } from '../../shared/signature.js';

const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');

describe('README signing examples', () => {
  it('the shell snippet signs the canonical path like signPath does', async () => {
    const block = /### Signed URLs[\s\S]*?Shell[^\n]*\n\n```sh\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    // GNU-only tools (coreutils' basenc, base64 -w) are missing on macOS.
    expect(block).not.toMatch(/basenc|base64 -w|base64url/);
    // Run everything but the curl line, then print the signature.
    const script = `${block!
      .split('\n')
      .filter((l) => !l.startsWith('curl'))
      .join('\n')}\nprintf '%s' "$sig"`;
    const key = 'readme-signing-key-readme-signing-key-0001';
    const id = 'AbCdEfGh12345678';
    const sig = execFileSync('bash', ['-c', script], {
      env: { ...process.env, SIGNING_KEY: key, ID: id },
    }).toString();
    const path = canonicalPathOf(id, canonicalize(parseOptions('w=800,f=webp')));
    expect(sig).toBe(await signPath(path, key));
    expect(await verifyPath(path, sig, [key])).toBe(true);
  });

  it('documents the canonical key order of the options table (shared/options/spec.ts)', () => {
    const order = /in this order[^`]*`([^`]+)`/.exec(readme)?.[1];
    expect(order).toBeDefined();
    expect(order!.split(/,\s*/)).toEqual([...OPTION_KEYS]);
    // The options table lists the keys in that order too.
    const table = [...readme.matchAll(/^\| `([a-z]+)`(?:, `([a-z]+)`)? \|/gm)].flatMap((m) =>
      m.slice(1).filter((k): k is string => k !== undefined),
    );
    expect(table).toEqual([...OPTION_KEYS]);
  });
});
