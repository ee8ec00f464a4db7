import 'reflect-metadata';
import type { App } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { EmbeddedDatabaseNotRunningError } from './db/postgres-server.js';
import { createLogger, type Logger } from './logger.js';

/** Exit codes of every process entry: 0 done/drained, 1 failed or shutdown forced, 2 bad configuration. */
export const EXIT = { ok: 0, failed: 1, config: 2 } as const;

/** Config for a process entry, or exit 2 with the one message naming every bad variable. */
export function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(EXIT.config);
    }
    throw error;
  }
}

/**
 * Starts `start` and runs it until SIGTERM/SIGINT, then shuts down in phases:
 * /readyz answers 503 at once; after SHUTDOWN_DELAY_MS the listener closes and in-flight
 * work drains; every part closes. Exit 0 when all of it finished, 1 when
 * SHUTDOWN_GRACE_MS (counted from the signal) ran out first — whatever state Redis and
 * Postgres are in — with a log line naming the parts that did not close. A second signal
 * forces the exit at once. A failed start exits 1 (2 for a configuration problem), and a
 * crash (uncaught exception) exits 1 after logging it: a supervisor must see non-zero.
 */
export async function runUntilSignalled(
  label: string,
  config: Config,
  start: (logger: Logger) => Promise<App>,
  onStarted?: (app: App) => void,
): Promise<void> {
  const logger = createLogger(config.LOG_LEVEL);
  exitOnCrash(label, logger);
  let app: App;
  try {
    app = await start(logger);
  } catch (error) {
    logger.fatal({ err: error }, `${label} could not start`);
    console.error(`${label} could not start: ${error instanceof Error ? error.message : String(error)}`);
    // A configuration problem found only while starting (a bad TRUSTED_DOCUMENTS manifest) is still one.
    process.exit(error instanceof EmbeddedDatabaseNotRunningError || error instanceof ConfigError ? EXIT.config : EXIT.failed);
  }
  onStarted?.(app);
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      logger.warn({ signal, pending: app.pendingStops() }, `${label}: second signal, exiting without waiting`);
      process.exit(EXIT.failed);
    }
    shuttingDown = true;
    void shutDown(label, config, app, logger, signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

async function shutDown(label: string, config: Config, app: App, logger: Logger, signal: NodeJS.Signals): Promise<void> {
  const startedAt = Date.now();
  const deadline = setTimeout(() => {
    logger.error(
      { signal, graceMs: config.SHUTDOWN_GRACE_MS, notClosed: app.pendingStops() },
      `${label}: shutdown did not finish within SHUTDOWN_GRACE_MS; forcing exit`,
    );
    process.exit(EXIT.failed);
  }, config.SHUTDOWN_GRACE_MS);
  logger.info({ signal, delayMs: config.SHUTDOWN_DELAY_MS, graceMs: config.SHUTDOWN_GRACE_MS }, `${label} shutting down`);
  app.beginShutdown();
  if (config.SHUTDOWN_DELAY_MS > 0) await new Promise((done) => setTimeout(done, config.SHUTDOWN_DELAY_MS));
  await app.stop();
  clearTimeout(deadline);
  logger.info({ durationMs: Date.now() - startedAt }, `${label} stopped`);
  process.exit(EXIT.ok);
}

/** An uncaught exception or unhandled rejection is logged whole and ends the process with 1 (its postmaster is stopped on exit). */
function exitOnCrash(label: string, logger: Logger): void {
  const crash = (kind: string) => (error: unknown) => {
    logger.fatal({ err: error }, `${label} crashed (${kind})`);
    process.exit(EXIT.failed);
  };
  process.on('uncaughtException', crash('uncaught exception'));
  process.on('unhandledRejection', crash('unhandled rejection'));
}
