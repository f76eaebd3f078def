/**
 * `npm run start:origin` before `npm run build`: one line saying to build first, exit 1, no stack
 * trace. Run in a copy of the project's package.json and scripts/ without dist/.
 */
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgedge-start-origin-'));
  await cp(join(ROOT, 'package.json'), join(dir, 'package.json'));
  await cp(join(ROOT, 'scripts'), join(dir, 'scripts'), { recursive: true });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

it('npm run start:origin without dist/ says to build first, without a stack trace', () => {
  const run = spawnSync('npm', ['run', '--silent', 'start:origin'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  expect(run.status).toBe(1);
  expect(run.stderr).toContain('run `npm run build` first');
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr).not.toContain('ERR_MODULE_NOT_FOUND');
});
