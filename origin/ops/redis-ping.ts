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
    socket.on('connect', () => socket.write(payload));
    socket.on('secureConnect', () => socket.write(payload));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.startsWith('-')) return fail(new Error(`redis: ${reply.split('\r\n')[0]!.slice(1)}`));
      const lines = reply.split('\r\n').filter(Boolean);
      if (lines.length >= commands.length) {
        socket.destroy();
        if (lines.at(-1) === '+PONG') resolve();
        else reject(new Error(`redis: unexpected reply ${JSON.stringify(lines.at(-1))}`));
      }
    });
  });
}
