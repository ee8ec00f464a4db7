import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createDatabase, type Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { providePostgres, type PostgresServer } from '../../src/db/postgres-server.js';
import { createLogger } from '../../src/logger.js';
import { SEEDED_TABLES, seedDatabase } from './seed-database.js';

/**
 * `npm run seed -- --scale N [--seed S] [--reset]`: migrates and seeds the database of
 * DATABASE_URL, or the embedded one under DATA_DIR (started and stopped here).
 * Exit codes: 0 done, 1 failed, 2 bad flags or configuration.
 */

const USAGE = `usage: npm run seed -- [--scale N] [--seed S] [--reset]
  --scale N   size of the data set, a number > 0 and <= 10 (default 1: ~400k orders, ~1M order items)
  --seed S    PRNG seed, an integer >= 0 (default 42); same scale + seed + day → same rows
  --reset     truncate all data tables (not api_keys) first; without it a non-empty database is refused`;

class UsageError extends Error {}

interface CliArgs {
  scale: number;
  seed: number;
  reset: boolean;
  help: boolean;
}

function parseCli(argv: string[]): CliArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        scale: { type: 'string' },
        seed: { type: 'string' },
        reset: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const scale = values.scale === undefined ? 1 : Number(values.scale);
  if (!(Number.isFinite(scale) && scale > 0 && scale <= 10) || values.scale?.trim() === '') {
    throw new UsageError(`--scale: expected a number > 0 and <= 10, got ${JSON.stringify(values.scale)}`);
  }
  const seed = values.seed === undefined ? 42 : Number(values.seed);
  if (!/^\d+$/.test(values.seed ?? '42') || !Number.isSafeInteger(seed)) {
    throw new UsageError(`--seed: expected an integer >= 0, got ${JSON.stringify(values.seed)}`);
  }
  return { scale, seed, reset: values.reset ?? false, help: values.help ?? false };
}

async function main(): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCli(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`seed: ${error.message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`seed: ${error.message}`);
    return 2;
  }

  const logger = createLogger(config.LOG_LEVEL);
  let server: PostgresServer | undefined;
  let database: Database | undefined;
  try {
    // Attaches to a running API's embedded database; starts one itself when none runs.
    server = await providePostgres(config, logger, 'tool');
    database = createDatabase({
      connectionString: server.connectionString,
      poolMax: 4,
      // Refreshing the views of a large seed can take minutes; the app's 15 s limit is for requests.
      statementTimeoutMs: 600_000,
      connectTimeoutMs: 10_000,
      applicationName: 'graphpulse-seed',
    });
    await migrateToLatest(database.db);
    const summary = await seedDatabase(database.pool, { scale: args.scale, seed: args.seed, reset: args.reset, logger });
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    const width = Math.max(...SEEDED_TABLES.map((t) => t.length));
    console.log(
      [
        `seeded scale ${summary.scale} (seed ${summary.seed}), ${summary.from} .. ${summary.to}`,
        ...SEEDED_TABLES.map((t) => `  ${t.padEnd(width)}  ${summary.counts[t].toLocaleString('en-US').padStart(11)}`),
        `  in ${(summary.durationMs / 1000).toFixed(1)} s, peak RSS ${peakRssMb} MB`,
      ].join('\n'),
    );
    return 0;
  } catch (error) {
    console.error(`seed failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await database?.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the pool failed'));
    await server?.stop().catch((error: unknown) => logger.warn({ err: error }, 'stopping Postgres failed'));
  }
}

process.exit(await main());
