/**
 * Remote control of tcp-proxy.ts proxies, for tests that cannot hold the proxy objects: the edge
 * tests run inside workerd, the proxies in edge-servers.ts's Node process. Loopback HTTP:
 *
 * - `POST /proxies/<name>/cut?mode=refuse|hang` and `POST /proxies/<name>/restore`;
 * - `GET /proxies/<name>` → `{ accepted, forwarded }` (connections so far).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TcpProxy } from './tcp-proxy.js';

export interface ProxyControl {
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

export async function startProxyControl(proxies: Record<string, TcpProxy>): Promise<ProxyControl> {
  const sockets = new Set<Socket>();
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://control');
    const m = /^\/proxies\/([a-z0-9-]+)(?:\/(cut|restore))?$/.exec(url.pathname);
    const proxy = m ? proxies[m[1]!] : undefined;
    if (!m || !proxy) return send(res, 404, { error: 'no such proxy' });
    const action = m[2];
    if (!action && req.method === 'GET') {
      return send(res, 200, { accepted: proxy.accepted, forwarded: proxy.forwarded });
    }
    if (action && req.method === 'POST') {
      const mode = url.searchParams.get('mode') ?? 'refuse';
      if (action === 'cut' && mode !== 'refuse' && mode !== 'hang') {
        return send(res, 400, { error: 'mode is refuse or hang' });
      }
      if (action === 'cut') await proxy.cut(mode as 'refuse' | 'hang');
      else await proxy.restore();
      return send(res, 200, { ok: true });
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
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
