import { startApp } from './app.js';
import { configOrExit, runUntilSignalled } from './process-entry.js';

/** `npm start`: the API process. SIGTERM/SIGINT: not ready at once, drain in-flight requests, stop every part, exit 0 (1 if SHUTDOWN_GRACE_MS ran out). */
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
