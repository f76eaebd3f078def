/**
 * npm run smoke -- --base-url URL [--client-id ID --client-secret S --signing-key K --signed-urls P]
 * Each defaults to SMOKE_CLIENT_ID / SMOKE_CLIENT_SECRET / SMOKE_SIGNING_KEY / SMOKE_SIGNED_URLS,
 * then to the local stack: its dev client (data/dev-client.json) and the SIGNING_KEY and
 * SIGNED_URLS that `npm start` resolves (environment, `.env`, data/dev-secrets.json — the same
 * resolveEnv). Exits 1 when any step fails, 2 when something is missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SIGNED_URL_POLICIES, type SignedUrlPolicy } from '../../edge/config.js';
import { DEFAULT_DATA_DIR, resolveEnv } from '../../scripts/stack.js';
import { formatReport, runSmoke, SMOKE_STEP_COUNT } from './run-smoke.js';

const { values } = parseArgs({
  options: {
    'base-url': { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'signing-key': { type: 'string' },
    'signed-urls': { type: 'string' },
    'api-prefix': { type: 'string' },
    'data-dir': { type: 'string' },
  },
});

const dataDir = values['data-dir'] ? resolve(values['data-dir']) : DEFAULT_DATA_DIR;
// What the local stack runs with; read only (no dev secrets are generated here).
const stackEnv = await resolveEnv(dataDir, { readOnly: true });

function devClient(key: 'client_id' | 'client_secret'): string | undefined {
  const path = join(dataDir, 'dev-client.json');
  return existsSync(path)
    ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>)[key]
    : undefined;
}

function fail(message: string): never {
  process.stderr.write(`smoke: ${message}\n`);
  process.exit(2);
}

const baseUrl = values['base-url'] ?? process.env.SMOKE_BASE_URL;
const clientId = values['client-id'] ?? process.env.SMOKE_CLIENT_ID ?? devClient('client_id');
const clientSecret = values['client-secret'] ?? process.env.SMOKE_CLIENT_SECRET ?? devClient('client_secret');
const signingKey = values['signing-key'] ?? process.env.SMOKE_SIGNING_KEY ?? stackEnv.SIGNING_KEY;
const signedUrls = values['signed-urls'] ?? process.env.SMOKE_SIGNED_URLS ?? stackEnv.SIGNED_URLS;
if (!SIGNED_URL_POLICIES.includes(signedUrls as SignedUrlPolicy)) {
  fail(`--signed-urls must be one of ${SIGNED_URL_POLICIES.join(', ')} (got ${JSON.stringify(signedUrls)})`);
}

const missing = [
  ['--base-url', baseUrl],
  ['--client-id', clientId],
  ['--client-secret', clientSecret],
  ['--signing-key', signedUrls === 'off' ? 'not needed' : signingKey],
].filter(([, v]) => !v);
if (missing.length > 0) fail(`missing ${missing.map(([k]) => k).join(', ')} (or the SMOKE_* variables)`);

const steps = await runSmoke({
  baseUrl: baseUrl!,
  clientId: clientId!,
  clientSecret: clientSecret!,
  signingKey,
  signedUrls: signedUrls as SignedUrlPolicy,
  apiPrefix: values['api-prefix'] ?? stackEnv.API_PREFIX,
});
process.stdout.write(`${formatReport(steps, baseUrl!)}\n`);
process.exit(steps.every((s) => s.ok) && steps.length === SMOKE_STEP_COUNT ? 0 : 1);
