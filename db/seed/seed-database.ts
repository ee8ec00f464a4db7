import { Kysely, PostgresDialect, type PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import type { Db } from '../../src/db/database.js';
import { MATERIALIZED_VIEWS, refreshAggregates } from '../../src/db/queries/refresh-aggregates.js';
import type { Tables } from '../../src/db/tables.js';
import type { Logger } from '../../src/logger.js';
import { formatRate, type Progress } from '../../src/progress.js';
import { QueryPipeline } from './batch-writer.js';
import { DAY_MS, buildWorld, isoDay, makeWindow } from './world.js';
import { SEEDED_TABLES, writeAll, type SeededTable } from './write-rows.js';

export { SEEDED_TABLES, type SeededTable };

export interface SeedOptions {
  /** 1 ≈ 20 stores, 50k customers, 400k orders, 1M order items, 300k events. Any positive number. */
  scale: number;
  /** PRNG seed; default 42. Same scale + seed + `today` → identical rows. */
  seed?: number;
  /** End of the data (the last of 180 UTC days, cut at this instant); default now. */
  today?: Date;
  logger?: Logger;
  /** Truncate every data table first (not api_keys); default false: refuse a database that has data. */
  reset?: boolean;
  /** Shows the phases: days of rows written (rows, rows/s), ANALYZE, each view refreshed, commit. Default none. */
  progress?: Progress;
}

export interface SeedSummary {
  scale: number;
  seed: number;
  /** First and last day of the data, YYYY-MM-DD (UTC). */
  from: string;
  to: string;
  counts: Record<SeededTable, number>;
  durationMs: number;
}

/** Everything the seed writes, plus reports (they describe the old data). Never api_keys. */
const DATA_TABLES = [...SEEDED_TABLES, 'reports'];
const SERIAL_TABLES = ['stores', 'categories', 'products', 'customers', 'orders', 'order_items'];

/**
 * Fills an empty database (or, with `reset`, a truncated one) with a deterministic,
 * realistic café-chain data set covering the 180 UTC days up to `today`, ANALYZEs it
 * and refreshes the materialized views (refreshAggregates). Rows are generated day by
 * day and written in unnest batches, all in one transaction on one connection of
 * `pool` (the pool is not ended): memory stays bounded, readers see the old data or
 * the new, and a failed seed leaves the database as it was. A reset holds exclusive
 * locks on the data tables until it commits.
 */
export async function seedDatabase(pool: pg.Pool, options: SeedOptions): Promise<SeedSummary> {
  const started = performance.now();
  const { scale, seed = 42, today = new Date(), logger, reset = false, progress } = options;
  if (!(Number.isFinite(scale) && scale > 0)) throw new Error(`seedDatabase: scale must be a positive number, got ${scale}`);
  if (!Number.isSafeInteger(seed)) throw new Error(`seedDatabase: seed must be an integer, got ${seed}`);
  if (!(today instanceof Date) || Number.isNaN(today.getTime()))
    throw new Error(`seedDatabase: today must be a valid Date, got ${String(today)}`);

  const window = makeWindow(today);
  const from = isoDay(window.startMs);
  const to = isoDay(window.startMs + (window.days - 1) * DAY_MS);
  logger?.info({ scale, seed, from, to, reset }, 'seeding database');

  const client = await pool.connect();
  const pipeline = new QueryPipeline(client);
  let counts: Record<SeededTable, number>;
  let released = false;
  try {
    await client.query('BEGIN');
    // A seed is a batch job: the pool's per-request timeout (15 s in the API) must not cut a large refresh.
    await client.query('SET LOCAL statement_timeout = 0');
    // Two seeds at once would collide on explicit ids: the second waits, then refuses.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('graphpulse:seed'))`);
    if (reset) {
      await client.query(`TRUNCATE ${DATA_TABLES.join(', ')} RESTART IDENTITY CASCADE`);
    } else {
      await refuseIfNotEmpty(client);
    }
    const fkChecksSkipped = await skipForeignKeyChecks(client);
    logger?.debug({ fkChecksSkipped }, 'seed: foreign key triggers');
    const { world, customers } = buildWorld(seed, scale, window);
    progress?.phase('writing rows', window.days, 'days');
    const writingSince = performance.now();
    counts = await writeAll(pipeline, world, customers, seed, scale, today, logger, (_day, _index, _days, rows) => {
      const seconds = (performance.now() - writingSince) / 1000;
      progress?.tick(1, `${rows.toLocaleString('en-US')} rows, ${formatRate(seconds > 0 ? rows / seconds : NaN)} rows/s`);
    });
    for (const table of SERIAL_TABLES) {
      await client.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), coalesce(max(id), 0) + 1, false) FROM ${table}`);
    }
    await client.query('SET LOCAL session_replication_role = origin');
    // A refreshAggregates run elsewhere whose snapshot predates this seed must not advance the watermark.
    await client.query('UPDATE aggregate_state SET version = version + 1 WHERE id = 1');
    logger?.info({ counts }, 'seed rows written; analyzing and refreshing aggregates');
    progress?.phase('ANALYZE');
    await client.query(`ANALYZE ${DATA_TABLES.join(', ')}`);
    // Emptied views make refreshAggregates rebuild them with a plain REFRESH (a sort, several
    // times faster than CONCURRENTLY's diff against the old contents). It runs in this
    // transaction, so other sessions see the old data and views, then the new ones — never a mix.
    for (const view of MATERIALIZED_VIEWS) await client.query(`REFRESH MATERIALIZED VIEW ${view} WITH NO DATA`);
    progress?.phase('refreshing views', MATERIALIZED_VIEWS.length, 'views');
    await refreshAggregates(transactionDb(client), (view) => progress?.tick(1, `${view} done`));
    await client.query(`ANALYZE ${MATERIALIZED_VIEWS.join(', ')}`);
    progress?.phase('commit');
    await client.query('COMMIT');
  } catch (error) {
    try {
      await pipeline.settle();
      await client.query('ROLLBACK');
    } catch {
      client.release(true); // the connection is broken: do not return it to the pool
      released = true;
    }
    throw error;
  } finally {
    if (!released) client.release();
  }

  const durationMs = Math.round(performance.now() - started);
  logger?.info({ counts, durationMs }, 'seed done');
  return { scale, seed, from, to, counts, durationMs };
}

/** A Kysely whose every statement runs on `client` — inside the transaction the caller opened there. */
function transactionDb(client: pg.PoolClient): Db {
  const connection = { query: (text: string, values: readonly unknown[]) => client.query(text, [...values]), release() {} };
  const pool = { connect: async () => connection as unknown as PostgresPoolClient, end: async () => {} };
  return new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Foreign keys are checked by row triggers, which cost about half of the load time.
 * The seed's references are correct by construction (ids are assigned here; the seed
 * test checks every reference), so, when the role may, the load runs with
 * session_replication_role = replica — the pg_restore --disable-triggers technique —
 * for this transaction only. Without the privilege the checks simply run.
 */
async function skipForeignKeyChecks(client: pg.PoolClient): Promise<boolean> {
  await client.query('SAVEPOINT seed_triggers');
  try {
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query('RELEASE SAVEPOINT seed_triggers');
    return true;
  } catch {
    await client.query('ROLLBACK TO SAVEPOINT seed_triggers');
    return false;
  }
}

async function refuseIfNotEmpty(client: pg.PoolClient): Promise<void> {
  const checked = ['stores', 'categories', 'products', 'customers'];
  const { rows } = await client.query<{ name: string }>(
    checked.map((t) => `SELECT '${t}' AS name WHERE EXISTS (SELECT 1 FROM ${t})`).join(' UNION ALL '),
  );
  if (rows.length > 0) {
    throw new Error(
      `Refusing to seed: the database already has data (${rows.map((r) => r.name).join(', ')} not empty). ` +
        'Pass reset: true (npm run seed -- --reset) to truncate the data tables and seed again.',
    );
  }
}
