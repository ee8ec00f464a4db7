import { startApp } from './app.js';
import { configOrExit, runUntilSignalled } from './process-entry.js';

/** `npm start`: the API process. SIGTERM/SIGINT drain in-flight requests, then stop every part and exit 0. */
const config = configOrExit();
await runUntilSignalled(
  'graphpulse',
  config,
  (logger) => startApp(config, { logger }),
  (app) => {
    if (app.createdAdminKey) console.log(`\nAdmin API key (shown once, store it now): ${app.createdAdminKey}\n`);
    console.log(`graphpulse: GraphQL at ${app.url}  (send "Authorization: Bearer <key>")`);
  },
);
