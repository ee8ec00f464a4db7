import { ConfigError, loadConfig } from '../src/config.js';
import { createDatabase, type Database } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { providePostgres, type PostgresServer } from '../src/db/postgres-server.js';
import { createLogger } from '../src/logger.js';

/**
 * `npm run migrate`: applies pending migrations (db/migrations) to DATABASE_URL, or to the
 * embedded database under DATA_DIR — the running API's when there is one, else started
 * and stopped here. Exit codes: 0 done, 1 failed, 2 bad configuration or arguments.
 */
async function main(): Promise<number> {
  if (process.argv.length > 2) {
    console.error(`migrate: takes no arguments, got ${process.argv.slice(2).join(' ')}\nusage: npm run migrate`);
    return 2;
  }
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`migrate: ${error.message}`);
    return 2;
  }
  const logger = createLogger(config.LOG_LEVEL);
  let server: PostgresServer | undefined;
  let database: Database | undefined;
  try {
    server = await providePostgres(config, logger, 'tool');
    database = createDatabase({
      connectionString: server.connectionString,
      poolMax: 1,
      statementTimeoutMs: 600_000,
      connectTimeoutMs: 10_000,
      applicationName: 'graphpulse-migrate',
      onConnectionError: (error) => logger.warn({ err: error }, 'Postgres connection failed'),
    });
    const applied = await migrateToLatest(database.db);
    console.log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'database is up to date: no migration pending');
    return 0;
  } catch (error) {
    console.error(`migrate failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await database?.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the pool failed'));
    await server?.stop().catch((error: unknown) => logger.warn({ err: error }, 'stopping Postgres failed'));
  }
}

process.exit(await main());
