import { ConfigError, loadConfig } from '../src/config.js';
import { createDatabase, type Database } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { providePostgres, type PostgresServer } from '../src/db/postgres-server.js';
import { createLogger, type Logger } from '../src/logger.js';

/**
 * The frame of the database commands (`npm run migrate`, `npm run seed`): configuration
 * (exit 2 when bad), the database of DATABASE_URL or the embedded one — the running API's
 * when there is one, else started and stopped here — migrated, then `run`; everything
 * closed afterwards. Returns the exit code: run's, 1 when it failed, 2 for configuration.
 */
export async function withMigratedDatabase(
  command: string,
  run: (database: Database, logger: Logger) => Promise<number>,
  pool: { max: number; statementTimeoutMs: number } = { max: 1, statementTimeoutMs: 600_000 },
): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${command}: ${error.message}`);
    return 2;
  }
  const logger = createLogger(config.LOG_LEVEL);
  let server: PostgresServer | undefined;
  let database: Database | undefined;
  try {
    server = await providePostgres(config, logger, 'tool');
    database = createDatabase({
      connectionString: server.connectionString,
      poolMax: pool.max,
      statementTimeoutMs: pool.statementTimeoutMs,
      connectTimeoutMs: 10_000,
      applicationName: `graphpulse-${command}`,
      onConnectionError: (error) => logger.warn({ err: error }, 'Postgres connection failed'),
    });
    const applied = await migrateToLatest(database.db);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    return await run(database, logger);
  } catch (error) {
    console.error(`${command} failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await database?.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the pool failed'));
    await server?.stop().catch((error: unknown) => logger.warn({ err: error }, 'stopping Postgres failed'));
  }
}
