/** A minimal Redis health probe over RESP (AUTH when the URL has a password, then PING). */
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export function redisPing(url: string, timeoutMs: number): Promise<void> {
  const u = new URL(url);
  const port = Number(u.port || 6379);
  const commands: string[][] = [];
  if (u.password) {
    const password = decodeURIComponent(u.password);
    commands.push(u.username ? ['AUTH', decodeURIComponent(u.username), password] : ['AUTH', password]);
  }
  commands.push(['PING']);
  const payload = commands
    .map((args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`)
    .join('');
  return new Promise((resolve, reject) => {
    const socket =
      u.protocol === 'rediss:'
        ? tlsConnect({ host: u.hostname, port, servername: u.hostname })
        : connect({ host: u.hostname, port });
    let reply = '';
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`redis did not answer within ${timeoutMs} ms`)));
    socket.on('error', fail);
    // Closed before a full answer (no-op once settled): fail now rather than at the check timeout.
    socket.on('close', () => fail(new Error('redis closed the connection without answering')));
    // A TLS socket emits 'connect' (TCP) and then 'secureConnect': send the commands once.
    socket.once(u.protocol === 'rediss:' ? 'secureConnect' : 'connect', () => socket.write(payload));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      // Only whole lines count: a reply may arrive split across TCP segments ("+PO", "NG\r\n").
      const lines = reply.split('\r\n').slice(0, -1);
      const error = lines.find((l) => l.startsWith('-'));
      if (error) return fail(new Error(`redis: ${error.slice(1, 120)}`));
      if (lines.length >= commands.length) {
        socket.destroy();
        const last = lines[commands.length - 1];
        if (last === '+PONG') resolve();
        else reject(new Error(`redis: unexpected reply ${JSON.stringify(last?.slice(0, 80))}`));
      }
    });
  });
}
