/** `npm start`: the whole stack locally (origin + worker), with a dev client, until Ctrl-C. */
import { runUntilStopped } from './lib/run-until-stopped.js';
import { startStack } from './stack.js';

void runUntilStopped(
  () => startStack(),
  (stack) => ({
    heading: [
      `imgedge is up: ${stack.edgeUrl}  (origin ${stack.originUrl})`,
      `web console: ${stack.edgeUrl}/console/  (sign in with the dev client below)`,
    ],
    clientFile: 'data/dev-client.json',
    extraTry: [`  npm run smoke -- --base-url ${stack.edgeUrl}`],
    stops: 'both',
  }),
);
