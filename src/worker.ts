import { startApp } from './app.js';
import { configOrExit, runUntilSignalled } from './process-entry.js';

/**
 * `npm run worker`: job workers only (no HTTP). With DATABASE_URL (and REDIS_URL when
 * the API uses it) it connects there; in the embedded default it attaches to the
 * database of the API process running on the same DATA_DIR, waiting up to 30 s for one
 * to start (then exit 2). SIGTERM/SIGINT: stop taking jobs, let active ones finish
 * (JOB_SHUTDOWN_GRACE_MS), close every connection, exit 0 — within SHUTDOWN_GRACE_MS.
 */
const config = configOrExit();
await runUntilSignalled('graphpulse worker', config, (logger) => startApp(config, { logger, role: 'worker' }));
