/**
 * A tiny third-party-style HTTP server for the edge tests (runs in Node, from the globalSetup):
 *
 * - `GET /jwks/<name>` serves the JSON Web Key Set last stored under `<name>` (`{"keys":[]}` before
 *   any), like an identity provider's `jwks_uri`; `PUT /jwks/<name>` stores a new set (a key
 *   rotation); `GET /jwks/<name>/fetches` says how many times the set was served.
 * - `POST /cloudflare/zones/<zone>/purge_cache` stands in for Cloudflare's purge API (which cannot
 *   be reached here): it records each call; `GET /cloudflare/purges` lists them.
 * - `/hang/...` accepts the request and never answers (a dependency that is up but stuck), for
 *   timeouts: the limiter's RATE_LIMIT_TIMEOUT_MS, the health probe's HEALTH_TIMEOUT_MS.
 * - `/sources/…` is the website the main test origin's remote sources point at: `GET` of any path
 *   under it serves `sourceImage` (a real JPEG, with an ETag, `Cache-Control: max-age=300`, and a
 *   304 to a matching If-None-Match), except in a `missing/` folder, which is a 404.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface EdgeStubServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

export async function startEdgeStubServer(options: { sourceImage: Uint8Array }): Promise<EdgeStubServer> {
  const sourceEtag = `"${createHash('sha256').update(options.sourceImage).digest('hex').slice(0, 16)}"`;
  const sets = new Map<string, { body: string; fetches: number }>();
  const purges: { zone: string; authorization: string | undefined; body: unknown }[] = [];
  const sockets = new Set<Socket>();

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://stub').pathname;
    if (path.startsWith('/hang/')) {
      req.resume(); // read (and drop) any body, then never answer
      return;
    }
    if (path.startsWith('/sources/') && !path.includes('/missing/') && req.method === 'GET') {
      const headers = { etag: sourceEtag, 'cache-control': 'max-age=300', 'content-type': 'image/jpeg' };
      if (req.headers['if-none-match'] === sourceEtag) return void res.writeHead(304, headers).end();
      res.writeHead(200, { ...headers, 'content-length': String(options.sourceImage.byteLength) });
      res.end(options.sourceImage);
      return;
    }
    if (path === '/cloudflare/purges') return send(res, 200, purges);
    const purge = /^\/cloudflare\/zones\/([A-Za-z0-9]+)\/purge_cache$/.exec(path);
    if (purge && req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      purges.push({
        zone: purge[1]!,
        authorization: req.headers.authorization,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      return send(res, 200, { success: true, errors: [], messages: [], result: { id: purge[1] } });
    }
    const jwks = /^\/jwks\/([A-Za-z0-9_-]{1,64})(\/fetches)?$/.exec(path);
    if (!jwks) return send(res, 404, { error: 'not found' });
    const name = jwks[1]!;
    if (jwks[2]) return send(res, 200, { fetches: sets.get(name)?.fetches ?? 0 });
    if (req.method === 'PUT' || req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString('utf8');
      const parsed = JSON.parse(body) as { keys?: unknown };
      if (!Array.isArray(parsed.keys)) return send(res, 400, { error: 'a JWKS needs a keys array' });
      sets.set(name, { body, fetches: sets.get(name)?.fetches ?? 0 });
      return send(res, 200, { stored: parsed.keys.length });
    }
    if (req.method === 'GET') {
      const entry = sets.get(name) ?? { body: '{"keys":[]}', fetches: 0 };
      entry.fetches++;
      sets.set(name, entry);
      res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'no-store' });
      res.end(entry.body);
      return;
    }
    send(res, 405, { error: 'method not allowed' });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { error: String(err) }));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
