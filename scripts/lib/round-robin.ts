/**
 * A small round-robin HTTP proxy for the local cluster (`npm run start:cluster`): each request goes
 * to the next target in turn, streamed both ways. A target whose connection is refused (a stopped
 * replica) is skipped for that request; when every target refuses, the answer is 502. The upstream
 * connection is opened before the request body is read, so skipping never loses body bytes.
 */
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface RoundRobinProxy {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface RoundRobinOptions {
  /** Base URLs (http://host:port) of the replicas. */
  targets: readonly string[];
  host?: string;
  /** 0 (default): an ephemeral port. */
  port?: number;
}

function open(target: URL): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.hostname, port: Number(target.port || 80) });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

export async function startRoundRobin(options: RoundRobinOptions): Promise<RoundRobinProxy> {
  const targets = options.targets.map((t) => new URL(t));
  if (targets.length === 0) throw new Error('round-robin proxy: no targets');
  let next = 0;

  const forward = async (req: IncomingMessage, res: ServerResponse) => {
    const first = next;
    next = (next + 1) % targets.length;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(first + i) % targets.length]!;
      let socket: Socket;
      try {
        socket = await open(target);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') continue;
        break;
      }
      const upstream = request({
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
        createConnection: () => socket,
      });
      upstream.once('response', (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(res);
        answer.once('error', () => res.destroy());
      });
      upstream.once('error', () => {
        // The replica went away mid-request: the client sees its connection end.
        if (res.headersSent) res.destroy();
        else res.writeHead(502, { 'content-type': 'text/plain' }).end('replica failed\n');
      });
      req.once('aborted', () => upstream.destroy());
      req.pipe(upstream);
      return;
    }
    req.resume();
    res.writeHead(502, { 'content-type': 'text/plain' }).end('no replica answers\n');
  };

  const server: Server = createServer((req, res) => void forward(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
