/**
 * `npm start` checks the worker's configuration with the worker's own schema before it starts
 * anything: a bad edge variable is one line naming it, not a worker that answers 500 to everything.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StackError, startStack } from '../../scripts/stack.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'imgedge-stack-config-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function startError(env: Record<string, string>): Promise<StackError> {
  const started = startStack({ dataDir, env, useDotEnv: false, logs: 'silent' });
  const err = await started.then(
    async (stack) => {
      await stack.stop();
      throw new Error('the stack started');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StackError);
  // Refused before the database (the dev client) or any process was touched.
  expect(existsSync(join(dataDir, 'dev-client.json'))).toBe(false);
  return err as StackError;
}

describe('npm start with a bad edge variable', () => {
  it('refuses SIGNED_URLS=bogus with one line naming the variable and the allowed values', async () => {
    const err = await startError({ SIGNED_URLS: 'bogus' });
    expect(err.message).toBe('SIGNED_URLS must be one of off, presets-free, required (got "bogus")');
  });

  it('refuses PRESETS that is not JSON with one line naming it', async () => {
    const err = await startError({ PRESETS: '{bad json' });
    expect(err.message).toMatch(/^PRESETS is not valid JSON: \S/);
    expect(err.message).not.toContain('\n');
  });

  it('checks every variable the worker reads, not a hand-kept subset (UPLOAD_TIMEOUT_MS)', async () => {
    const err = await startError({ UPLOAD_TIMEOUT_MS: 'soon' });
    expect(err.message).toBe('UPLOAD_TIMEOUT_MS must be a whole number from 1 to 600000');
  });

  it('hands the worker its purge variables (CF_ZONE_ID without CF_API_TOKEN is refused)', async () => {
    const err = await startError({ CF_ZONE_ID: 'abc123' });
    expect(err.message).toBe('CF_API_TOKEN and CF_ZONE_ID must be set together');
  });
});

describe('npm start with a bad remote-source variable (origin)', () => {
  it('refuses SOURCES_ALLOW_PRIVATE_NETWORKS=maybe with one line naming it', async () => {
    const err = await startError({ SOURCES_ALLOW_PRIVATE_NETWORKS: 'maybe' });
    expect(err.message).toBe('SOURCES_ALLOW_PRIVATE_NETWORKS must be true/false (or 1/0, yes/no, on/off)');
  });
});
