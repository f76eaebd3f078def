/**
 * npm run smoke -- --base-url URL [--client-id ID --client-secret S --signing-key K]
 * Credentials default to SMOKE_CLIENT_ID / SMOKE_CLIENT_SECRET / SMOKE_SIGNING_KEY, then to the
 * local stack's data/dev-client.json and data/dev-secrets.json. Exits 1 when any step fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatReport, runSmoke, SMOKE_STEP_COUNT } from './run-smoke.js';

const { values } = parseArgs({
  options: {
    'base-url': { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'signing-key': { type: 'string' },
    'api-prefix': { type: 'string' },
    'data-dir': { type: 'string' },
  },
});

function local(file: string, key: string): string | undefined {
  const path = join(resolve(values['data-dir'] ?? 'data'), file);
  return existsSync(path)
    ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>)[key]
    : undefined;
}

const baseUrl = values['base-url'] ?? process.env.SMOKE_BASE_URL;
const clientId = values['client-id'] ?? process.env.SMOKE_CLIENT_ID ?? local('dev-client.json', 'client_id');
const clientSecret =
  values['client-secret'] ?? process.env.SMOKE_CLIENT_SECRET ?? local('dev-client.json', 'client_secret');
const signingKey =
  values['signing-key'] ?? process.env.SMOKE_SIGNING_KEY ?? local('dev-secrets.json', 'SIGNING_KEY');

const missing = [
  ['--base-url', baseUrl],
  ['--client-id', clientId],
  ['--client-secret', clientSecret],
  ['--signing-key', signingKey],
].filter(([, v]) => !v);
if (missing.length > 0) {
  process.stderr.write(`smoke: missing ${missing.map(([k]) => k).join(', ')} (or the SMOKE_* variables)\n`);
  process.exit(2);
}

const steps = await runSmoke({
  baseUrl: baseUrl!,
  clientId: clientId!,
  clientSecret: clientSecret!,
  signingKey: signingKey!,
  apiPrefix: values['api-prefix'],
});
process.stdout.write(`${formatReport(steps, baseUrl!)}\n`);
process.exit(steps.every((s) => s.ok) && steps.length === SMOKE_STEP_COUNT ? 0 : 1);
