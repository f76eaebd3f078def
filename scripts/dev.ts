/** `npm start`: the whole stack locally (origin + worker), with a dev client, until Ctrl-C. */
import { DEFAULT_API_PREFIX } from '../shared/config/defaults.js';
import { StackError, startStack } from './stack.js';

async function main(): Promise<void> {
  let stack: Awaited<ReturnType<typeof startStack>>;
  try {
    stack = await startStack();
  } catch (err) {
    process.stderr.write(`imgedge: ${err instanceof StackError ? err.message : String(err)}\n`);
    process.exit(1);
  }
  const { edgeUrl, client, clientCreated, env } = stack;
  const api = `${edgeUrl}${env.API_PREFIX ?? DEFAULT_API_PREFIX}`;
  process.stdout.write(
    [
      '',
      `imgedge is up: ${edgeUrl}  (origin ${stack.originUrl})`,
      `dev client (${clientCreated ? 'created now' : 'kept'} in data/dev-client.json):`,
      `  client_id     ${client.client_id}`,
      `  client_secret ${client.client_secret}`,
      'try:',
      `  TOKEN=$(curl -s -u '${client.client_id}:${client.client_secret}' -d grant_type=client_credentials ${api}/oauth/token | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`,
      `  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: image/jpeg' --data-binary @photo.jpg ${api}/images`,
      `  curl -sI ${edgeUrl}/img/thumb/<id>`,
      `  npm run smoke -- --base-url ${edgeUrl}`,
      'Ctrl-C stops both.',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping…\n');
    stack.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
