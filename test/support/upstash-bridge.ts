/**
 * A test-only bridge that speaks Upstash's REST protocol and forwards to a real Redis, so the
 * official `@upstash/redis` client and `@upstash/ratelimit` can run unchanged against redis-server.
 *
 * Protocol (as @upstash/redis 1.39 uses it):
 * - `POST /` with `["CMD", ...args]` → 200 `{result}` or 400 `{error}`;
 * - `POST /pipeline` and `POST /multi-exec` (inside MULTI/EXEC) with `[["CMD", ...], ...]` →
 *   200 `[{result}|{error}, ...]`;
 * - path style `GET|POST /<cmd>/<arg>/...` (a POST body, if any, is the last argument);
 * - `Authorization: Bearer <token>`, else 401 `{error}`;
 * - `Upstash-Encoding: base64` → every string reply, nested ones included, is base64 except
 *   a plain `OK`; integers and null stay as they are.
 *
 * Redis 7.0 rejects the `allow-key-locking` shebang flag that @upstash/ratelimit's scripts carry,
 * so EVAL and SCRIPT LOAD run a rewritten script, and EVALSHA of the original sha1 runs the
 * rewritten script's sha1. A NOSCRIPT error passes through, so the client falls back to EVAL.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';

export interface UpstashBridgeOptions {
  /** e.g. `redis://127.0.0.1:6379` */
  redisUrl: string;
  /** The bearer token clients must send. */
  token: string;
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
}

export interface UpstashBridge {
  /** `http://127.0.0.1:<port>`, the client's `url`. */
  url: string;
  token: string;
  close(): Promise<void>;
}

type Arg = string | Buffer;
type Reply = { result: unknown } | { error: string };

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

/** Drop the shebang flags Redis does not know (`#!lua flags=allow-key-locking` → `#!lua`). */
function rewriteScript(script: string): string {
  return script.replace(/^#!lua[ \t]+flags=([^\n]*)/, (_, flags: string) => {
    const kept = flags
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f && f !== 'allow-key-locking');
    return kept.length > 0 ? `#!lua flags=${kept.join(',')}` : '#!lua';
  });
}

function encode(value: unknown, base64: boolean): unknown {
  if (Buffer.isBuffer(value)) {
    if (!base64) return value.toString('utf8');
    return value.length === 2 && value.toString('latin1') === 'OK' ? 'OK' : value.toString('base64');
  }
  if (Array.isArray(value)) return value.map((v) => encode(v, base64));
  if (value instanceof Error) return value.message;
  return value;
}

export async function startUpstashBridge(options: UpstashBridgeOptions): Promise<UpstashBridge> {
  const redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(`upstash bridge: cannot reach Redis at ${options.redisUrl}: ${error}`);
  }

  /** sha1(original script) → the rewritten script Redis actually runs, and its sha1. */
  const scripts = new Map<string, { script: string; sha: string }>();
  const remember = (original: string) => {
    const script = rewriteScript(original);
    const entry = { script, sha: sha1(script) };
    scripts.set(sha1(original), entry);
    return entry;
  };

  /**
   * Adapt one command for Redis: upper-case name, rewritten scripts, mapped sha1s. `reply`, when
   * set, replaces Redis's reply (SCRIPT LOAD answers with the original script's sha1).
   */
  function translate(command: unknown): { args: [string, ...Arg[]]; reply?: unknown } {
    if (!Array.isArray(command) || command.length === 0)
      throw new Error('ERR command must be a non-empty array');
    const [name, ...rest] = command.map((a) => (typeof a === 'string' ? a : JSON.stringify(a)));
    const cmd = name!.toUpperCase();
    const sub = rest[0]?.toUpperCase();
    const [first, ...others] = rest;
    if ((cmd === 'EVAL' || cmd === 'EVAL_RO') && first !== undefined) {
      return { args: [cmd, remember(first).script, ...others] };
    }
    if ((cmd === 'EVALSHA' || cmd === 'EVALSHA_RO') && first !== undefined) {
      return { args: [cmd, scripts.get(first.toLowerCase())?.sha ?? first, ...others] };
    }
    if (cmd === 'SCRIPT' && sub === 'LOAD' && others[0] !== undefined) {
      return { args: [cmd, 'LOAD', remember(others[0]).script], reply: Buffer.from(sha1(others[0])) };
    }
    if (cmd === 'SCRIPT' && sub === 'EXISTS') {
      return { args: [cmd, 'EXISTS', ...others.map((sha) => scripts.get(sha.toLowerCase())?.sha ?? sha)] };
    }
    return { args: [cmd, ...rest] };
  }

  async function run(command: unknown): Promise<unknown> {
    const { args, reply } = translate(command);
    const result = await redis.callBuffer(...args);
    return reply ?? result;
  }

  async function batch(commands: unknown, atomic: boolean): Promise<Reply[]> {
    if (!Array.isArray(commands)) throw new Error('ERR body must be an array of commands');
    const translated = commands.map(translate);
    const pipe = atomic ? redis.multi() : redis.pipeline();
    for (const { args } of translated) pipe.callBuffer(...args);
    const results = (await pipe.exec()) ?? [];
    return results.map(([error, result], i) =>
      error ? { error: error.message } : { result: translated[i]?.reply ?? result },
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      return send(401, { error: 'Unauthorized: missing or wrong bearer token' });
    }
    const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = new URL(req.url ?? '/', 'http://bridge').pathname;

    try {
      if (path === '/pipeline' || path === '/multi-exec') {
        const replies = await batch(JSON.parse(raw), path === '/multi-exec');
        return send(
          200,
          replies.map((r) => ('error' in r ? r : { result: encode(r.result, base64) })),
        );
      }
      let command: unknown;
      if (path === '/' || path === '') {
        command = JSON.parse(raw);
      } else {
        command = path.split('/').filter(Boolean).map(decodeURIComponent);
        if (raw.length > 0) (command as string[]).push(raw);
      }
      return send(200, { result: encode(await run(command), base64) });
    } catch (error) {
      return send(400, { error: error instanceof Error ? error.message : String(error) });
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: String(error) }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token: options.token,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
