/**
 * `npm run sign` (scripts/sign.ts), run as a process: any spelling in, the canonical signed URL
 * out, verified with shared/signature.ts; the key comes from the environment, else `.env`, else
 * data/dev-secrets.json in the working directory (the project root under `npm run`).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyPath } from '../../shared/signature.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const SCRIPT = join(ROOT, 'scripts/sign.ts');
const ID = 'AbCdEfGh12345678';
const ENV_KEY = 'sign-script-env-key-0123456789abcdefghij';
const DOTENV_KEY = 'sign-script-dotenv-key-0123456789abcdefg';
const DEV_KEY = 'sign-script-dev-secrets-key-0123456789ab';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A working directory with optional `.env` and data/dev-secrets.json. */
function workDir(files: { dotenv?: string; devSecrets?: Record<string, string> } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'imgedge-sign-'));
  dirs.push(dir);
  if (files.dotenv !== undefined) writeFileSync(join(dir, '.env'), files.dotenv);
  if (files.devSecrets !== undefined) {
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'dev-secrets.json'), JSON.stringify(files.devSecrets));
  }
  return dir;
}

function sign(url: string, options: { cwd?: string; env?: Record<string, string> } = {}) {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  if (options.env?.SIGNING_KEY === undefined) delete env.SIGNING_KEY;
  if (options.env?.PRESETS === undefined) delete env.PRESETS;
  const run = spawnSync(TSX, [SCRIPT, '--', url], { cwd: options.cwd ?? workDir(), env, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout.trim(), stderr: run.stderr };
}

/** Splits `<signed text>[?&]sig=<sig>` and checks the signature with the edge's verifyPath. */
async function verified(out: string, key: string): Promise<string> {
  const m = /^(.*)[?&]sig=([A-Za-z0-9_-]+)$/.exec(out);
  expect(m, out).not.toBeNull();
  expect(await verifyPath(m![1] as string, m![2] as string, [key])).toBe(true);
  return m![1] as string;
}

describe('npm run sign', () => {
  it.each([
    [`/img/w=800,f=webp/${ID}`, `/img/w=800,f=webp/${ID}`],
    [`/img/${ID}?format=webp&width=800`, `/img/w=800,f=webp/${ID}`],
    [`/img/f=webp,fit=inside,width=800/${ID}?sig=stale`, `/img/w=800,f=webp/${ID}`],
    [`/img/thumb/${ID}`, `/img/thumb/${ID}`],
    [`/img/card/${ID}?quality=70&format=avif`, `/img/card/${ID}?f=avif&q=70`],
  ])('%s → the canonical signed URL over %s', async (input, text) => {
    const run = sign(input, { env: { SIGNING_KEY: ENV_KEY } });
    expect(run.status, run.stderr).toBe(0);
    expect(await verified(run.stdout, ENV_KEY)).toBe(text);
  });

  it('a remote image: /img/…/@<source>/<path> signs like an id', async () => {
    const run = sign('/img/@shop/a%2Db.jpg?width=800', { env: { SIGNING_KEY: ENV_KEY } });
    expect(run.status, run.stderr).toBe(0);
    expect(await verified(run.stdout, ENV_KEY)).toBe('/img/w=800/@shop/a-b.jpg');
  });

  it('a /cdn-cgi/image/ URL stays as written, signed over its imgedge canonical path', async () => {
    const env = { SIGNING_KEY: ENV_KEY, SOURCES: '{"default":"https://www.example.com/"}' };
    for (const input of [
      '/cdn-cgi/image/width=800,format=auto/uploads/a.jpg',
      '/cdn-cgi/image/width=800/https://www.example.com/uploads/a.jpg?sig=stale',
    ]) {
      const run = sign(input, { env });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout.startsWith(input.replace('?sig=stale', '?sig='))).toBe(true);
      const sig = run.stdout.slice(run.stdout.indexOf('?sig=') + 5);
      expect(await verifyPath('/img/w=800/@default/uploads/a.jpg', sig, [ENV_KEY])).toBe(true);
    }
    const outside = sign('/cdn-cgi/image/width=800/https://evil.example/a.jpg', { env });
    expect(outside.status).toBe(1);
    expect(outside.stderr).toContain('404 not_found');
  });

  it('keeps the scheme and host of a full URL', async () => {
    const run = sign(`https://img.example.com/img/${ID}?w=300`, { env: { SIGNING_KEY: ENV_KEY } });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.startsWith('https://img.example.com/img/')).toBe(true);
    const path = run.stdout.slice('https://img.example.com'.length);
    expect(await verified(path, ENV_KEY)).toBe(`/img/w=300/${ID}`);
  });

  it('takes SIGNING_KEY from the environment, else .env, else data/dev-secrets.json', async () => {
    const dotenv = `SIGNING_KEY=${DOTENV_KEY}\n`;
    const devSecrets = { SIGNING_KEY: DEV_KEY };
    const path = `/img/w=10/${ID}`;
    const all = workDir({ dotenv, devSecrets });
    const fromEnv = sign(path, { cwd: all, env: { SIGNING_KEY: ENV_KEY } });
    expect(await verified(fromEnv.stdout, ENV_KEY)).toBe(path);
    const fromDotEnv = sign(path, { cwd: all });
    expect(await verified(fromDotEnv.stdout, DOTENV_KEY)).toBe(path);
    const fromDev = sign(path, { cwd: workDir({ devSecrets }) });
    expect(await verified(fromDev.stdout, DEV_KEY)).toBe(path);
  });

  it('uses PRESETS from the environment', async () => {
    const env = { SIGNING_KEY: ENV_KEY, PRESETS: '{"avatar":"w=64,h=64,fit=cover"}' };
    const run = sign(`/img/avatar/${ID}?f=png`, { env });
    expect(await verified(run.stdout, ENV_KEY)).toBe(`/img/avatar/${ID}?f=png`);
    const unknown = sign(`/img/thumb/${ID}`, { env });
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('unknown preset');
  });

  it('refuses options that do not parse and a missing key, with a message and a non-zero exit', () => {
    const bad = sign(`/img/w=0/${ID}`, { env: { SIGNING_KEY: ENV_KEY } });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('invalid_option');
    const keyless = sign(`/img/w=10/${ID}`);
    expect(keyless.status).toBe(1);
    expect(keyless.stderr).toContain('SIGNING_KEY');
  });
});
