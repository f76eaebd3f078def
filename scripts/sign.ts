/**
 * `npm run sign -- '<image URL>'`: prints the canonical signed URL. Any spelling goes in (path or
 * query options, aliases, any order, a preset, with or without scheme and host, an old `sig`);
 * the canonical form comes out, signed with shared/signature.ts exactly as the edge verifies it.
 * A Cloudflare-style `/cdn-cgi/image/…` URL comes out as written, with the signature of the
 * imgedge canonical path it stands for (SOURCES resolves its source).
 *
 * SIGNING_KEY, PRESETS and SOURCES come from resolveEnv (scripts/stack.ts), as `npm start` resolves them: the
 * environment, else `.env`, else the dev secrets in data/dev-secrets.json (never generated here).
 * Files are read from the working directory, which `npm run` sets to the project root.
 */
import { join } from 'node:path';
import { isImgedgeError } from '../shared/errors.js';
import {
  CLOUDFLARE_PREFIX,
  compilePresets,
  DEFAULT_PRESETS,
  parseCloudflareRequest,
  parseImageRequest,
  SIGNATURE_PARAM,
} from '../shared/options/index.js';
import { signPath } from '../shared/signature.js';
import { parseSources } from '../shared/sources/index.js';
import { resolveEnv } from './stack.js';

const USAGE =
  "usage: npm run sign -- '/img/w=800,f=webp/<id>'   (or a full URL, /img/<id>?w=800, /img/w=800/@<source>/<path>, /cdn-cgi/image/width=800/<path>)";

/** The canonical signed form of `input` (a path, or a URL whose scheme and host are kept). */
async function signedUrl(
  input: string,
  key: string,
  presets: Record<string, string>,
  sources: string,
): Promise<string> {
  const absolute = /^https?:\/\//i.test(input);
  const url = new URL(input, 'http://localhost');
  url.searchParams.delete(SIGNATURE_PARAM);
  const host = absolute ? url.origin : '';
  if (url.pathname.startsWith(CLOUDFLARE_PREFIX)) {
    const path = url.pathname.slice(CLOUDFLARE_PREFIX.length);
    const request = parseCloudflareRequest(path, url.searchParams, parseSources(sources));
    return `${host}${url.pathname}?${SIGNATURE_PARAM}=${await signPath(request.signedPath, key)}`;
  }
  if (!url.pathname.startsWith('/img/')) {
    throw new Error(`not an image URL (expected /img/… or ${CLOUDFLARE_PREFIX}…): ${input}`);
  }
  const request = parseImageRequest(
    url.pathname.slice('/img'.length),
    url.searchParams,
    compilePresets(presets),
  );
  const sig = await signPath(request.signedPath, key);
  const separator = request.signedPath.includes('?') ? '&' : '?';
  return `${host}${request.signedPath}${separator}${SIGNATURE_PARAM}=${sig}`;
}

async function main(args: string[]): Promise<number> {
  const input = args.filter((a) => a !== '--');
  if (input.length !== 1 || input[0] === '-h' || input[0] === '--help') {
    process.stderr.write(`${USAGE}\n`);
    return input.length === 1 ? 0 : 2;
  }
  const dir = process.cwd();
  const env = await resolveEnv(join(dir, 'data'), { readOnly: true, root: dir });
  const key = env.SIGNING_KEY;
  if (key === undefined) {
    process.stderr.write('sign: no SIGNING_KEY in the environment, .env or data/dev-secrets.json\n');
    return 1;
  }
  const presetsText = env.PRESETS;
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
    process.stdout.write(`${await signedUrl(input[0] as string, key, presets, env.SOURCES ?? '')}\n`);
    return 0;
  } catch (err) {
    const detail = isImgedgeError(err) ? `${err.status} ${err.code}: ${err.message}` : String(err);
    process.stderr.write(`sign: ${detail}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
