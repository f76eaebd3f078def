/**
 * scripts/deploy-origin.sh against a local stand-in for the operator's deploy hook (a double for
 * the hosting platform's API): what it sends, what it prints, what it writes to $GITHUB_OUTPUT,
 * and that it fails loudly on a bad answer.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const SCRIPT = resolve(import.meta.dirname, '../../scripts/deploy-origin.sh');
const TOKEN = 'hook-token-123';

type Call = {
  authorization: string | undefined;
  contentType: string | undefined;
  body: Record<string, unknown>;
};
type Reply = { status: number; body: string };

let server: Server;
let hookUrl: string;
let dir: string;
let calls: Call[];
let replies: Reply[];

function reply(status: number, body: unknown): Reply {
  return { status, body: typeof body === 'string' ? body : JSON.stringify(body) };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'deploy-origin-'));
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      calls.push({
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body: JSON.parse(raw) as Record<string, unknown>,
      });
      const next = replies.shift() ?? reply(500, { error: 'no reply queued' });
      res.writeHead(next.status, { 'content-type': 'application/json' }).end(next.body);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  await new Promise((done) => server.close(done));
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  calls = [];
  replies = [];
});

type Run = { code: number; stdout: string; stderr: string; output: string };

async function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const outputFile = join(dir, `output-${Math.random().toString(36).slice(2)}`);
  await writeFile(outputFile, '');
  return new Promise((done) => {
    execFile(
      'bash',
      [SCRIPT, ...args],
      {
        env: {
          PATH: process.env.PATH,
          ORIGIN_DEPLOY_HOOK_URL: hookUrl,
          ORIGIN_DEPLOY_HOOK_TOKEN: TOKEN,
          GITHUB_OUTPUT: outputFile,
          ...env,
        },
      },
      async (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr, output: await readFile(outputFile, 'utf8') });
      },
    );
  });
}

describe('deploy-origin.sh status', () => {
  it('asks the hook which slot is live and names the idle one', async () => {
    replies.push(
      reply(200, { live: { slot: 'blue', url: 'https://origin-blue.example.com/', image: 'img@sha256:aa' } }),
    );
    const r = await run(['status', 'production']);
    expect(r.code).toBe(0);
    expect(calls).toEqual([
      {
        authorization: `Bearer ${TOKEN}`,
        contentType: 'application/json',
        body: { action: 'status', environment: 'production' },
      },
    ]);
    const expected =
      'live_slot=blue\nlive_url=https://origin-blue.example.com\nlive_image=img@sha256:aa\nidle_slot=green\n';
    expect(r.stdout).toBe(expected);
    expect(r.output).toBe(expected);
  });

  it('starts with blue when nothing is live yet', async () => {
    replies.push(reply(200, { live: null }));
    const r = await run(['status', 'staging']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('live_slot=\nlive_url=\nlive_image=\nidle_slot=blue\n');
  });

  it('refuses a live slot that is neither blue nor green', async () => {
    replies.push(reply(200, { live: { slot: 'purple', url: 'https://x.example.com' } }));
    const r = await run(['status', 'production']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('live.slot must be blue or green');
    expect(r.output).toBe('');
  });
});

describe('deploy-origin.sh deploy', () => {
  it('sends the slot and image and prints the URL the hook answers', async () => {
    replies.push(reply(200, { url: 'https://origin-green.example.com' }));
    const r = await run(['deploy', 'production', 'green', 'ghcr.io/o/imgedge-origin@sha256:bb']);
    expect(r.code).toBe(0);
    expect(calls.map((c) => c.body)).toEqual([
      {
        action: 'deploy',
        environment: 'production',
        slot: 'green',
        image: 'ghcr.io/o/imgedge-origin@sha256:bb',
      },
    ]);
    expect(r.stdout).toBe('https://origin-green.example.com\n');
    expect(r.output).toBe('url=https://origin-green.example.com\n');
  });

  it('fails when the hook answers without a usable URL', async () => {
    replies.push(reply(200, { ok: true }));
    const r = await run(['deploy', 'production', 'green', 'img']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the hook must answer {"url"');
    expect(r.stdout).toBe('');
    expect(r.output).toBe('');
  });

  it('fails with the hook’s answer when the hook refuses', async () => {
    replies.push(reply(409, { error: 'slot green is live' }));
    const r = await run(['deploy', 'production', 'green', 'img']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('slot green is live');
    expect(r.output).toBe('');
  });

  it('retries a hook that answers 503 first', async () => {
    replies.push(reply(503, 'busy'), reply(200, { url: 'https://origin-blue.example.com' }));
    const r = await run(['deploy', 'staging', 'blue', 'img']);
    expect(r.code).toBe(0);
    expect(calls).toHaveLength(2);
    expect(r.stdout).toBe('https://origin-blue.example.com\n');
  });
});

describe('deploy-origin.sh promote and retire', () => {
  it('sends the action and slot, and accepts an empty answer', async () => {
    replies.push(reply(200, ''), reply(204, ''));
    const promote = await run(['promote', 'production', 'green']);
    const retire = await run(['retire', 'production', 'blue']);
    expect([promote.code, retire.code]).toEqual([0, 0]);
    expect(calls.map((c) => c.body)).toEqual([
      { action: 'promote', environment: 'production', slot: 'green' },
      { action: 'retire', environment: 'production', slot: 'blue' },
    ]);
    expect(promote.output + retire.output).toBe('');
  });
});

describe('deploy-origin.sh arguments', () => {
  it('refuses a slot other than blue or green without calling the hook', async () => {
    const r = await run(['deploy', 'production', 'red', 'img']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('slot must be blue or green');
    expect(calls).toEqual([]);
  });

  it('refuses the old two-argument form and missing arguments', async () => {
    expect((await run(['ghcr.io/o/imgedge-origin@sha256:bb', 'production'])).code).toBe(2);
    expect((await run(['deploy', 'production', 'green'])).code).toBe(2);
    expect(calls).toEqual([]);
  });

  it('needs ORIGIN_DEPLOY_HOOK_URL', async () => {
    const r = await run(['status', 'production'], { ORIGIN_DEPLOY_HOOK_URL: '' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('ORIGIN_DEPLOY_HOOK_URL is not set');
    expect(calls).toEqual([]);
  });
});
