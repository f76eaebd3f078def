/**
 * The interactive entry points (`npm start`, `npm run start:cluster`): start something, print how to
 * use it, and stop it on Ctrl-C / SIGTERM. A start-up StackError is one line, without a stack.
 */
import { DEFAULT_API_PREFIX } from '../../shared/config/defaults.js';
import { type DevClient, StackError } from '../stack.js';

export interface Running {
  edgeUrl: string;
  env: Record<string, string>;
  client: DevClient;
  clientCreated: boolean;
  stop(): Promise<void>;
}

export interface Banner {
  /** The first lines: what is up, and where. */
  heading: string[];
  /** Where the dev client is kept, e.g. `data/dev-client.json`. */
  clientFile: string;
  /** Extra "try:" lines after the common ones. */
  extraTry?: string[];
  /** What Ctrl-C stops, e.g. `both`. */
  stops: string;
}

export async function runUntilStopped<T extends Running>(
  start: () => Promise<T>,
  banner: (running: T) => Banner,
): Promise<void> {
  let running: T;
  try {
    running = await start();
  } catch (err) {
    process.stderr.write(`imgedge: ${err instanceof StackError ? err.message : String(err)}\n`);
    process.exit(1);
  }
  const { edgeUrl, client, clientCreated, env } = running;
  const b = banner(running);
  const api = `${edgeUrl}${env.API_PREFIX ?? DEFAULT_API_PREFIX}`;
  process.stdout.write(
    [
      '',
      ...b.heading,
      `dev client (${clientCreated ? 'created now' : 'kept'} in ${b.clientFile}):`,
      `  client_id     ${client.client_id}`,
      `  client_secret ${client.client_secret}`,
      'try:',
      `  TOKEN=$(curl -s -u '${client.client_id}:${client.client_secret}' -d grant_type=client_credentials ${api}/oauth/token | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`,
      `  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: image/jpeg' --data-binary @photo.jpg ${api}/images`,
      `  curl -sI ${edgeUrl}/img/thumb/<id>`,
      ...(b.extraTry ?? []),
      `Ctrl-C stops ${b.stops}.`,
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping…\n');
    running.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
