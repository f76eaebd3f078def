/** The README's shell signing example must produce exactly what the edge verifies. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalize, canonicalPathOf, parseOptions } from '../../shared/options/index.js';
import { signPath, verifyPath } from '../../shared/signature.js';

const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');

describe('README signing examples', () => {
  it('the shell snippet signs the canonical path like signPath does', async () => {
    const block = /### Signed URLs[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
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
});
