/**
 * An address where a TCP connect neither succeeds nor fails: what a client sees when SYNs are
 * dropped (a firewall, a dead host on the path). Unlike tcp-proxy.ts's `hang` mode, which accepts
 * the connection and then stays silent, nothing here ever completes a handshake.
 *
 * How: a listening socket whose accept queue is full. It listens with a backlog of 1 in a worker
 * thread whose event loop is then blocked, so nothing is ever accepted; two connections made here
 * fill the kernel's accept queue, and Linux drops every further SYN (the client retries, and its
 * connect stays pending). Loopback only, no privileges.
 */
import { connect, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';

export interface ConnectBlackhole {
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

const LISTENER = `
const { parentPort, workerData } = require('node:worker_threads');
const server = require('node:net').createServer();
server.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
  parentPort.postMessage(server.address().port);
  parentPort.once('message', () => Atomics.wait(new Int32Array(workerData), 0, 0));
});
`;

export async function startConnectBlackhole(): Promise<ConnectBlackhole> {
  const flag = new SharedArrayBuffer(4);
  const worker = new Worker(LISTENER, { eval: true, workerData: flag });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  worker.postMessage('block');
  // Give the worker a moment to block before the fillers arrive (else it would accept them).
  await new Promise((resolve) => setTimeout(resolve, 200));
  const fillers: Socket[] = [];
  for (let i = 0; i < 2; i++) {
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, resolve);
      socket.once('error', reject);
      fillers.push(socket);
    });
  }
  // Check: one more connect must stay pending.
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve();
    }, 300);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error('connect-blackhole: a connection was accepted; the accept queue is not full'));
    });
    socket.once('error', () => {});
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const socket of fillers) socket.destroy();
      const view = new Int32Array(flag);
      Atomics.store(view, 0, 1);
      Atomics.notify(view, 0);
      await worker.terminate();
    },
  };
}
