import { startApp } from './app.js';
import { configOrExit, runUntilSignalled } from './process-entry.js';

/**
 * `npm run worker`: job workers only (no HTTP), against DATABASE_URL (and REDIS_URL when
 * set). SIGTERM/SIGINT: stop taking jobs, let active ones finish (JOB_SHUTDOWN_GRACE_MS),
 * close every connection, exit 0.
 */
const config = configOrExit();
if (config.embedded) {
  // The embedded database belongs to the API process (one postmaster per data directory).
  console.error('npm run worker needs DATABASE_URL (and REDIS_URL, if the API uses it); with the embedded database run the API with WORKERS=inline');
  process.exit(2);
}
await runUntilSignalled('graphpulse worker', config, (logger) => startApp(config, { logger, role: 'worker' }));
