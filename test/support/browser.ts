/**
 * A real browser for the console's tests: Debian's Chromium (or CHROMIUM_PATH) driven by
 * playwright-core, headless, with a fresh profile. Without a Chromium the tests skip naming
 * CHROMIUM_PATH; with IMGEDGE_REQUIRE_SERVICES=1 (CI: .ci/run installs it) they fail instead.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { REQUIRE_SERVICES } from './services.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_HINT = `no Chromium at ${CHROMIUM_PATH}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`;
export const HAVE_CHROMIUM = existsSync(CHROMIUM_PATH);

if (!HAVE_CHROMIUM && REQUIRE_SERVICES) throw new Error(`IMGEDGE_REQUIRE_SERVICES=1: ${CHROMIUM_HINT}`);

/** Flags that work on this machine (no sandbox in containers, no GPU, no background traffic). */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless Chromium with its own throwaway --user-data-dir. */
export async function launchChromium(viewport = { width: 1280, height: 900 }): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'imgedge-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: FLAGS,
    viewport,
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
