/**
 * `npm run sign -- '<image URL>'`: prints the canonical signed URL. Any spelling goes in (path or
 * query options, aliases, any order, a preset, with or without scheme and host, an old `sig`);
 * the canonical form comes out, signed with shared/signature.ts exactly as the edge verifies it.
 *
 * SIGNING_KEY and PRESETS come from the environment, else `.env`, else (SIGNING_KEY only) the dev
 * secrets `npm start` generated in data/dev-secrets.json: the order scripts/stack.ts uses. Files
 * are read from the working directory, which `npm run` sets to the project root.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { isImgedgeError } from '../shared/errors.js';
import {
  compilePresets,
  DEFAULT_PRESETS,
  parseImageRequest,
  SIGNATURE_PARAM,
} from '../shared/options/index.js';
import { signPath } from '../shared/signature.js';

const USAGE = "usage: npm run sign -- '/img/w=800,f=webp/<id>'   (or a full URL, or /img/<id>?w=800)";

/** First non-empty value of `name`: the environment, then `.env`, then data/dev-secrets.json. */
function setting(name: string, dir: string, withDevSecrets: boolean): string | undefined {
  const sources: (() => Record<string, string | undefined>)[] = [
    () => process.env,
    () => (existsSync(join(dir, '.env')) ? parseEnv(readFileSync(join(dir, '.env'), 'utf8')) : {}),
  ];
  const secrets = join(dir, 'data', 'dev-secrets.json');
  if (withDevSecrets) {
    sources.push(() =>
      existsSync(secrets) ? (JSON.parse(readFileSync(secrets, 'utf8')) as Record<string, string>) : {},
    );
  }
  for (const source of sources) {
    const value = source()[name];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

/** The canonical signed form of `input` (a path, or a URL whose scheme and host are kept). */
async function signedUrl(input: string, key: string, presets: Record<string, string>): Promise<string> {
  const absolute = /^https?:\/\//i.test(input);
  const url = new URL(input, 'http://localhost');
  if (!url.pathname.startsWith('/img/')) throw new Error(`not an image URL (expected /img/…): ${input}`);
  url.searchParams.delete(SIGNATURE_PARAM);
  const request = parseImageRequest(
    url.pathname.slice('/img'.length),
    url.searchParams,
    compilePresets(presets),
  );
  const sig = await signPath(request.signedPath, key);
  const separator = request.signedPath.includes('?') ? '&' : '?';
  return `${absolute ? url.origin : ''}${request.signedPath}${separator}${SIGNATURE_PARAM}=${sig}`;
}

async function main(args: string[]): Promise<number> {
  const input = args.filter((a) => a !== '--');
  if (input.length !== 1 || input[0] === '-h' || input[0] === '--help') {
    process.stderr.write(`${USAGE}\n`);
    return input.length === 1 ? 0 : 2;
  }
  const dir = process.cwd();
  const key = setting('SIGNING_KEY', dir, true);
  if (key === undefined) {
    process.stderr.write('sign: no SIGNING_KEY in the environment, .env or data/dev-secrets.json\n');
    return 1;
  }
  const presetsText = setting('PRESETS', dir, false);
  let presets: Record<string, string> = { ...DEFAULT_PRESETS };
  if (presetsText !== undefined) {
    try {
      presets = JSON.parse(presetsText) as Record<string, string>;
    } catch {
      process.stderr.write('sign: PRESETS must be a JSON object of name → option string\n');
      return 1;
    }
  }
  try {
    process.stdout.write(`${await signedUrl(input[0] as string, key, presets)}\n`);
    return 0;
  } catch (err) {
    const detail = isImgedgeError(err) ? `${err.status} ${err.code}: ${err.message}` : String(err);
    process.stderr.write(`sign: ${detail}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
