import { parseArgs } from 'node:util';
import { createProgress } from '../../src/progress.js';
import { withMigratedDatabase } from '../with-database.js';
import { SEEDED_TABLES, seedDatabase } from './seed-database.js';

/**
 * `npm run seed -- --scale N [--seed S] [--reset]`: migrates and seeds the database of
 * DATABASE_URL, or the embedded one under DATA_DIR (the running API's, else started and
 * stopped here).
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
  // Refreshing the views of a large seed can take minutes; the app's 15 s limit is for requests.
  return withMigratedDatabase(
    'seed',
    async (database, logger) => {
      // On stderr: a bar on a terminal, a plain line every ~5 s elsewhere; stdout keeps the summary below.
      const progress = createProgress({ label: 'seed', unit: 'days' });
      let summary;
      try {
        summary = await seedDatabase(database.pool, { scale: args.scale, seed: args.seed, reset: args.reset, logger, progress });
      } catch (error) {
        progress.abort(); // the one error message follows, as before
        throw error;
      }
      const rows = SEEDED_TABLES.reduce((sum, t) => sum + summary.counts[t], 0);
      progress.done(
        `done: ${rows.toLocaleString('en-US')} rows in ${(summary.durationMs / 1000).toFixed(1)} s ` +
          `(${Math.round(rows / (summary.durationMs / 1000)).toLocaleString('en-US')} rows/s overall)`,
      );
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
    },
    { max: 4, statementTimeoutMs: 600_000 },
  );
}

process.exit(await main());
