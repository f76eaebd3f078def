// `npm run start:origin`: run the built origin (dist/), or say in one line how to build it first.
// Plain JavaScript, so it runs without tsx. The container runs dist/origin/main.js directly.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const main = join(import.meta.dirname, '..', 'dist', 'origin', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('imgedge origin: dist/origin/main.js is missing; run `npm run build` first\n');
  process.exit(1);
}
await import(pathToFileURL(main).href);
