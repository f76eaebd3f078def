/**
 * The web console's build (issue 14): esbuild bundles edge/console/src/main.ts (with the parts of
 * shared/ it imports) into one ES module and copies the page, its styles and the `_headers` file
 * (its CSP) beside it, under edge/console/dist — the Workers Static Assets directory of
 * wrangler.toml (`[assets]`), so the worker serves the console at /console/.
 *
 * `npm run build:console` builds; everything that starts or bundles the worker (`npm start`, the
 * cluster, the bench, vitest, scripts/deploy-worker.sh) calls ensureConsoleBuilt first, which builds
 * only when an input is newer than the bundle (so concurrent stacks in tests do not rewrite the
 * files a running wrangler serves). Files are overwritten in place, never removed first.
 */
import { copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '../..');
export const CONSOLE_SRC = join(ROOT, 'edge/console');
/** wrangler.toml `[assets] directory`. */
export const ASSETS_DIR = join(CONSOLE_SRC, 'dist');
/** Served at /console/. */
export const CONSOLE_OUT = join(ASSETS_DIR, 'console');
const BUNDLE = join(CONSOLE_OUT, 'app.js');
/** Copied as they are: [source in edge/console, destination]. */
const STATIC_FILES: readonly (readonly [string, string])[] = [
  ['index.html', join(CONSOLE_OUT, 'index.html')],
  ['styles.css', join(CONSOLE_OUT, 'styles.css')],
  // Read by Workers Static Assets, never served: the console's security headers.
  ['_headers', join(ASSETS_DIR, '_headers')],
];

/** Builds the console into ASSETS_DIR. */
export async function buildConsole(): Promise<void> {
  await mkdir(CONSOLE_OUT, { recursive: true });
  await build({
    entryPoints: [join(CONSOLE_SRC, 'src/main.ts')],
    outfile: BUNDLE,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: 'linked',
    logLevel: 'warning',
    legalComments: 'none',
  });
  for (const [from, to] of STATIC_FILES) await copyFile(join(CONSOLE_SRC, from), to);
}

/** Builds the console unless the bundle is newer than every input (edge/console, shared/). */
export async function ensureConsoleBuilt(): Promise<void> {
  const built = await mtime(BUNDLE);
  if (built !== undefined && (await newestInput()) <= built) return;
  await buildConsole();
}

async function mtime(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
}

async function newestInput(): Promise<number> {
  let newest = 0;
  for (const dir of [CONSOLE_SRC, join(ROOT, 'shared')]) {
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      if (path.startsWith(ASSETS_DIR)) continue;
      newest = Math.max(newest, (await mtime(path)) ?? 0);
    }
  }
  return newest;
}
