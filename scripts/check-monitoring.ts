/**
 * `npm run check:monitoring`: checks the origin's alert rules and dashboard (origin/monitoring/)
 * with Debian's promtool and against a real origin, and fails on any finding:
 *
 * 1. `promtool check rules alerts.yml`;
 * 2. `promtool test rules alerts.test.yml` (a firing and a quiet case per alert);
 * 3. a real origin (`origin/main.ts`, embedded PGlite in a temp folder) gets some traffic: a client
 *    made with the client CLI, a token, uploads (created, duplicate, refused), variants (miss,
 *    hit, unknown id), a 404, /health; then its /metrics is scraped and
 * 4. `promtool check metrics` lints the scrape (names, units, suffixes, help);
 * 5. every metric a rule or a dashboard query uses must be declared in that scrape.
 *
 * `npm run check:monitoring -- --url http://origin:8004` skips the traffic and scrapes that
 * running origin instead (steps 3–5 against production). promtool comes from PATH or PROMTOOL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { photoJpeg } from '../test/support/images.js';
import { clientToken } from '../test/support/oauth.js';
import {
  monitoringExpressions,
  PROMTOOL_HINT,
  promtool,
  promtoolPath,
  promtoolVersion,
  RULE_TESTS_FILE,
  RULES_FILE,
  undeclaredMetrics,
} from './lib/monitoring.js';
import { freePort } from './lib/ports.js';
import { captureOutput, spawnChild, terminate, waitForHealthy } from './lib/process.js';

const ROOT = resolve(import.meta.dirname, '..');
const log = (line: string) => process.stdout.write(`${line}\n`);

class Finding extends Error {}

async function step(title: string, fn: () => Promise<void>): Promise<void> {
  log(`== ${title}`);
  await fn();
}

async function promtoolOk(args: string[], stdin?: string): Promise<void> {
  const run = await promtool(args, stdin);
  const output = run.output.trim();
  if (output) log(output.replace(/^/gm, '   '));
  // `check metrics` exits 0 with lint lines on some versions: any output from it is a finding.
  const linted = args[1] === 'metrics' && output !== '';
  if (run.code !== 0 || linted) throw new Finding(`${run.command} failed (exit ${run.code})`);
}

/** A real origin on a free port with PGlite in a temp folder; `stop()` ends it and removes the folder. */
async function startOrigin(): Promise<{ url: string; env: Record<string, string>; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'imgedge-monitoring-'));
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
    SECRET_KEY: randomBytes(32).toString('base64url'),
    ORIGIN_AUTH_TOKEN: randomBytes(32).toString('base64url'),
    API_HOST: '127.0.0.1',
    API_PORT: String(port),
    UPLOAD_DIR: join(dir, 'uploads'),
    OUTPUT_DIR: join(dir, 'variants'),
    PGLITE_DIR: join(dir, 'pglite'),
    LOG_LEVEL: 'warn',
  };
  const child = spawnChild(process.execPath, ['--import', 'tsx', 'origin/main.ts'], { cwd: ROOT, env });
  const output = captureOutput(child);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await terminate(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForHealthy(`${url}/health/live`, child, { name: 'origin', timeoutMs: 60_000 });
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${output()}`);
  }
  return { url, env, stop };
}

/** `npm run client -- create` against the running origin (it holds PGLITE_DIR: the CLI goes through /admin). */
async function createClient(
  env: Record<string, string>,
): Promise<{ client_id: string; client_secret: string }> {
  const child = spawnChild(
    process.execPath,
    [
      '--import',
      'tsx',
      'origin/cli/client.ts',
      'create',
      '--name',
      'monitoring',
      '--scopes',
      'images:read,images:write',
    ],
    { cwd: ROOT, env },
  );
  let stdout = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  const output = captureOutput(child);
  const code = await new Promise<number | null>((done) => child.once('close', done));
  if (code !== 0) throw new Error(`client create exited ${code}: ${output()}`);
  return JSON.parse(stdout);
}

/** Traffic that makes the labelled series appear: every route family, hits and misses, errors. */
async function makeTraffic(url: string, env: Record<string, string>): Promise<void> {
  const api = `${url}/api/v1`;
  const token = await clientToken(api, await createClient(env));
  const auth = { authorization: `Bearer ${token}` };
  const internal = { authorization: `Bearer ${env.ORIGIN_AUTH_TOKEN}` };
  const expectStatus = async (what: string, res: Promise<Response>, status: number) => {
    const answer = await res;
    await answer.body?.cancel();
    if (answer.status !== status) throw new Error(`${what}: expected ${status}, got ${answer.status}`);
  };
  const jpeg = await photoJpeg(160, 120, 7);
  const upload = (body: Uint8Array, type = 'image/jpeg') =>
    fetch(`${api}/images`, { method: 'POST', headers: { ...auth, 'content-type': type }, body });
  const created = await upload(jpeg);
  if (created.status !== 201) throw new Error(`upload: expected 201, got ${created.status}`);
  const { id } = (await created.json()) as { id: string };
  await expectStatus('duplicate upload', upload(jpeg), 200);
  await expectStatus('not an image', upload(Buffer.from('not an image'), 'image/png'), 415);
  await expectStatus('image record', fetch(`${api}/images/${id}`, { headers: auth }), 200);
  await expectStatus('image list', fetch(`${api}/images`, { headers: auth }), 200);
  await expectStatus('no token', fetch(`${api}/images`), 401);
  for (const format of ['webp', 'webp', 'avif', 'jpeg']) {
    await expectStatus(
      `variant ${format}`,
      fetch(`${url}/internal/v1/variants/w=80/${id}?format=${format}`, { headers: internal }),
      200,
    );
  }
  await expectStatus(
    'unknown image',
    fetch(`${url}/internal/v1/variants/w=80/nope${randomBytes(6).toString('hex')}?format=webp`, {
      headers: internal,
    }),
    404,
  );
  await expectStatus('unknown route', fetch(`${url}/no-such-route`), 404);
  await expectStatus('health', fetch(`${url}/health`), 200);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { url: { type: 'string' } } });
  if (!promtoolPath()) throw new Finding(PROMTOOL_HINT);
  log(await promtoolVersion());

  await step(`promtool check rules ${RULES_FILE}`, () => promtoolOk(['check', 'rules', 'alerts.yml']));
  await step(`promtool test rules ${RULE_TESTS_FILE}`, () =>
    promtoolOk(['test', 'rules', 'alerts.test.yml']),
  );

  let scrape: string;
  if (values.url) {
    const target = `${values.url.replace(/\/$/, '')}/metrics`;
    log(`== scrape of ${target}`);
    const res = await fetch(target);
    if (res.status !== 200) throw new Finding(`${target} answered ${res.status}`);
    scrape = await res.text();
  } else {
    log('== a real origin (PGlite), traffic, scrape of /metrics');
    const origin = await startOrigin();
    try {
      await makeTraffic(origin.url, origin.env);
      scrape = await (await fetch(`${origin.url}/metrics`)).text();
    } finally {
      await origin.stop();
    }
  }
  log(`   ${scrape.split('\n').filter((l) => l && !l.startsWith('#')).length} samples`);

  await step('promtool check metrics (the scrape)', () => promtoolOk(['check', 'metrics'], scrape));
  await step('every metric of the rules and the dashboard is in the scrape', async () => {
    const missing = undeclaredMetrics(monitoringExpressions(), scrape);
    for (const line of missing) log(`   not exposed: ${line}`);
    if (missing.length) throw new Finding(`${missing.length} metric(s) used but not exposed`);
  });
  log('monitoring checks passed');
}

main().catch((err: unknown) => {
  process.stderr.write(`check:monitoring: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
