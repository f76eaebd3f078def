/**
 * Remote sources for tests: a real HTTP server whose paths the test programs (images with
 * validators, redirects, errors, slow or oversized bodies), recording every request it gets; and a
 * bare TCP listener that only counts the connections it receives (proof that none was made).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

export type Handler = (req: SeenRequest, res: ServerResponse) => void | Promise<void>;

export interface SourceServer {
  /** `http://<host>:<port>` */
  url: string;
  host: string;
  port: number;
  /** Every request, in order. */
  requests: SeenRequest[];
  /** TCP connections accepted. */
  connections: number;
  /** Serve `path` (exact, with its leading slash) with `handler`. */
  on(path: string, handler: Handler): void;
  /** Requests for `path` (conditional ones only with `conditional`). */
  count(path: string, conditional?: boolean): number;
  close(): Promise<void>;
}

export async function startSourceServer(
  options: { host?: string; port?: number } = {},
): Promise<SourceServer> {
  const host = options.host ?? '127.0.0.1';
  const handlers = new Map<string, Handler>();
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((req, res) => {
    const seen = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers };
    requests.push(seen);
    const handler = handlers.get(seen.path);
    if (!handler) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
      return;
    }
    Promise.resolve(handler(seen, res)).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    connections++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    host,
    port,
    requests,
    get connections() {
      return connections;
    },
    on: (path, handler) => {
      handlers.set(path, handler);
    },
    count: (path, conditional = false) =>
      requests.filter(
        (r) =>
          r.path === path &&
          (!conditional ||
            r.headers['if-none-match'] !== undefined ||
            r.headers['if-modified-since'] !== undefined),
      ).length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A strong ETag for some bytes. */
export function etagOf(bytes: Uint8Array): string {
  return `"${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}"`;
}

/**
 * An image with validators: `ETag` (of the bytes) and `Last-Modified`, answering a matching
 * If-None-Match with 304. `body()` is read at each request, so a test can change the image.
 */
export function imageHandler(
  body: () => Uint8Array,
  options: {
    contentType?: string;
    cacheControl?: string;
    lastModified?: string;
    headers304?: Record<string, string>;
  } = {},
): Handler {
  return (req, res) => {
    const bytes = body();
    const etag = etagOf(bytes);
    const headers: Record<string, string> = {
      etag,
      'last-modified': options.lastModified ?? 'Tue, 01 Dec 2026 10:00:00 GMT',
      'content-type': options.contentType ?? 'image/png',
    };
    if (options.cacheControl) headers['cache-control'] = options.cacheControl;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { ...headers, ...options.headers304 }).end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': String(bytes.byteLength) }).end(bytes);
  };
}

/** A redirect to `location` (relative or absolute). */
export function redirectHandler(
  location: string,
  status = 302,
  headers: Record<string, string> = {},
): Handler {
  return (_req, res) => {
    res.writeHead(status, { location, ...headers }).end();
  };
}

export interface CountingListener {
  host: string;
  port: number;
  /** TCP connections received so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/** A TCP listener that accepts, counts and drops connections: anything reaching it is a failure. */
export async function startCountingListener(host = '127.0.0.1', port = 0): Promise<CountingListener> {
  let connections = 0;
  const server = createTcpServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    host,
    port: (server.address() as AddressInfo).port,
    get connections() {
      return connections;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
