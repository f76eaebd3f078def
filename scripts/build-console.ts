/** `npm run build:console`: the web console into edge/console/dist (see scripts/lib/console-build.ts). */
import { ASSETS_DIR, buildConsole } from './lib/console-build.js';

await buildConsole();
console.log(`console built into ${ASSETS_DIR}`);
