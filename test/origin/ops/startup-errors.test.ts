/**
 * The real entry point (`node --import tsx origin/main.ts`) refusing to start: a bad configuration
 * value, a port already in use, an unusable UPLOAD_DIR or an unreachable database each stop the
 * process with a non-zero exit and a short stderr message that names the variable to fix — no stack
 * trace, no secret echoed back. Configuration is validated before anything is touched.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeDb } from '../../support/db.js';
import { TEST_ORIGIN_TOKEN, TEST_SECRET_KEY } from '../../support/origin.js';
import {
  type IsolatedDatabase,
  isolatedDatabase,
  originEnv,
  runEntry,
  tempDirs,
} from '../../support/spawn-origin.js';

const STACK = /\n\s+at |\bat [\w.<>$]+ \(|node_modules|\.ts:\d+/;

describeDb('origin start-up errors', () => {
  let dirs: Awaited<ReturnType<typeof tempDirs>>;
  beforeAll(async () => {
    dirs = await tempDirs();
  });
  afterAll(() => dirs?.remove());

  /** A complete, valid environment whose database folder must never be created by a config error. */
  const validEnv = () => ({ ...originEnv(dirs), PGLITE_DIR: join(dirs.base, 'never-created') });

  async function expectConfigError(
    env: Record<string, string | undefined>,
    variables: string[],
    secretLike?: string,
  ) {
    const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >;
    const run = await runEntry('origin/main.ts', [], clean);
    expect(run.signal).toBeNull();
    expect(run.code, run.stderr).not.toBe(0);
    for (const variable of variables) expect(run.stderr).toContain(variable);
    expect(run.stderr).not.toMatch(STACK);
    expect(run.stderr.length).toBeLessThan(1000);
    expect(run.stdout).toBe('');
    if (secretLike) expect(run.stderr + run.stdout).not.toContain(secretLike);
    // Nothing was opened or created before the configuration was known to be good.
    expect(existsSync(join(dirs.base, 'never-created'))).toBe(false);
    expect(existsSync(dirs.upload)).toBe(false);
    return run;
  }

  it('API_PORT=abc: exits non-zero naming API_PORT', async () => {
    await expectConfigError({ ...validEnv(), API_PORT: 'abc' }, ['API_PORT']);
  });

  it('API_PORT out of range (70000): exits non-zero naming API_PORT', async () => {
    await expectConfigError({ ...validEnv(), API_PORT: '70000' }, ['API_PORT']);
  });

  it('SECRET_KEY too short: names SECRET_KEY and does not echo the value', async () => {
    await expectConfigError({ ...validEnv(), SECRET_KEY: 'short-s3cr3t' }, ['SECRET_KEY'], 'short-s3cr3t');
  });

  it('ORIGIN_AUTH_TOKEN missing: names ORIGIN_AUTH_TOKEN', async () => {
    await expectConfigError({ ...validEnv(), ORIGIN_AUTH_TOKEN: undefined }, ['ORIGIN_AUTH_TOKEN']);
  });

  it('several bad values at once: every one is named', async () => {
    await expectConfigError(
      {
        ...validEnv(),
        API_PORT: '-1',
        MAX_FILE_SIZE: 'lots',
        DATABASE_URL: 'mysql://db/x',
        LOG_LEVEL: 'loud',
      },
      ['API_PORT', 'MAX_FILE_SIZE', 'DATABASE_URL', 'LOG_LEVEL'],
    );
  });

  describe('after a valid configuration', () => {
    let database: IsolatedDatabase;
    let blocker: Server;
    let busyPort: number;
    beforeAll(async () => {
      database = await isolatedDatabase();
      blocker = createServer();
      await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
      busyPort = (blocker.address() as { port: number }).port;
    });
    afterAll(async () => {
      await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
      await database?.close();
    });

    it('a port already in use: exits non-zero with a one-line message naming API_PORT', async () => {
      const run = await runEntry('origin/main.ts', [], {
        ...originEnv(dirs),
        ...database.env,
        API_PORT: String(busyPort),
      });
      expect(run.code, run.stderr).not.toBe(0);
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('API_PORT');
      expect(lines[0]).toContain(String(busyPort));
      expect(run.stderr).not.toMatch(STACK);
    });

    it('an UPLOAD_DIR that cannot be created: exits non-zero naming UPLOAD_DIR, without a stack', async () => {
      const run = await runEntry('origin/main.ts', [], {
        ...originEnv({ upload: '/dev/null/uploads', output: dirs.output }),
        ...database.env,
      });
      expect(run.code, run.stderr).not.toBe(0);
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('UPLOAD_DIR');
      expect(run.stderr).not.toMatch(STACK);
      // A start that fails late still prints neither secret, anywhere.
      expect(run.stdout + run.stderr).not.toContain(TEST_SECRET_KEY);
      expect(run.stdout + run.stderr).not.toContain(TEST_ORIGIN_TOKEN);
    });
  });

  it('an unreachable DATABASE_URL: exits non-zero naming DATABASE_URL, never printing its password', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const run = await runEntry('origin/main.ts', [], {
      ...originEnv(dirs),
      DATABASE_URL: `postgres://imgedge:pw-Zq81x-secret@127.0.0.1:${port}/imgedge`,
    });
    expect(run.code, run.stderr).not.toBe(0);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('DATABASE_URL');
    expect(run.stderr).not.toMatch(STACK);
    expect(run.stdout + run.stderr).not.toContain('pw-Zq81x-secret');
  });
});
