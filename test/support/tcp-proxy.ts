/**
 * A loopback TCP proxy for fault injection: put it between a client (the origin) and a server
 * (Postgres), then cut the link and restore it.
 *
 * - `cut('refuse')`: stop accepting (the port is closed: new connections get ECONNREFUSED) and
 *   destroy every proxied connection, as when the server goes away.
 * - `cut('hang')`: destroy every proxied connection, keep accepting but never forward a byte
 *   (a black hole: what a client sees behind a dead network path or a frozen server).
 * - `restore()`: forward again on the same port (held black-hole sockets are destroyed first).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Connections forwarded so far. */
  readonly forwarded: number;
  /** Connections accepted so far, forwarded or held (`hang`). */
  readonly accepted: number;
  cut(mode?: 'refuse' | 'hang'): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: 'forward' | 'refuse' | 'hang' = 'forward';
  let forwarded = 0;
  let accepted = 0;
  const live = new Set<Socket>();

  const track = (socket: Socket) => {
    live.add(socket);
    socket.on('close', () => live.delete(socket));
    socket.on('error', () => socket.destroy());
  };

  const onConnection = (client: Socket) => {
    track(client);
    accepted++;
    if (mode !== 'forward') return; // hang: accept and hold, never answer
    forwarded++;
    const upstream = connect(target);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  };

  const listen = (server: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as { port: number }).port);
      });
    });

  let server = createServer(onConnection);
  const port = await listen(server, 0);

  const destroyAll = () => {
    for (const socket of live) socket.destroy();
    live.clear();
  };
  const stopListening = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      destroyAll();
    });

  return {
    port,
    get forwarded() {
      return forwarded;
    },
    get accepted() {
      return accepted;
    },
    async cut(how = 'refuse') {
      mode = how;
      if (how === 'refuse') await stopListening();
      destroyAll();
    },
    async restore() {
      destroyAll();
      mode = 'forward';
      if (!server.listening) {
        server = createServer(onConnection);
        await listen(server, port);
      }
    },
    async close() {
      mode = 'refuse';
      await stopListening();
      destroyAll();
    },
  };
}
