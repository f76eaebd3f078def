/**
 * CI: fail when the committed edge/worker-configuration.d.ts is not what `npm run types` generates
 * from wrangler.toml and the pinned workerd now. Regenerates and compares the text, because
 * `wrangler types --check` also hashes a local .env/.dev.vars (it ignores --env-file), so it would
 * call the file stale on a developer machine that has one. Leaves the regenerated file in place.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const path = join(root, 'edge/worker-configuration.d.ts');
const committed = readFileSync(path, 'utf8');
execFileSync('npm', ['run', '--silent', 'types'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
if (readFileSync(path, 'utf8') !== committed) {
  process.stderr.write(
    'edge/worker-configuration.d.ts is stale (wrangler.toml or wrangler changed): run `npm run types` and commit it\n',
  );
  process.exit(1);
}
process.stdout.write('edge/worker-configuration.d.ts is up to date\n');
