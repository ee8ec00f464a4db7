import { Kysely, PostgresDialect, type LogEvent, type PostgresPool } from 'kysely';
import pg from 'pg';
import { loggedPool } from './logged-client.js';
import type { Tables } from './tables.js';

// numeric and bigint arrive as strings by default; every value we keep fits a double.
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number.parseFloat(v));
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));
// A day is a calendar date, not an instant: keep 'YYYY-MM-DD'.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);

export type Db = Kysely<Tables>;

/** Sees every statement with its duration (metrics, slow-query log, statement-count tests). */
export type QueryObserver = (event: LogEvent) => void;

export interface DatabaseOptions {
  connectionString: string;
  poolMax: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  applicationName?: string;
  /**
   * Told about a connection that failed outside any statement (Postgres restarted or
   * failed over, an admin terminated the session). The pool drops that connection and
   * opens a new one on the next checkout; the process must not die of it.
   */
  onConnectionError?: (error: Error) => void;
}

export interface Database {
  db: Db;
  pool: pg.Pool;
  /** Statements run since start; tests diff it around one request. */
  readonly stats: { queries: number; errors: number };
  observe(observer: QueryObserver): () => void;
  /** A Kysely over another pool (a read replica's) whose statements count and are observed as this database's. */
  over(pool: PostgresPool): Db;
  close(): Promise<void>;
}

/**
 * Ends the pool and waits until its connections are gone (bounded). pool.end() resolves
 * once it has asked every connection to end, before their sockets have closed: stopping
 * Postgres or dropping the database right after would terminate those sessions (57P01)
 * and their clients would report it. The pool emits 'remove' once a client's socket closed.
 */
async function closePool(pool: pg.Pool, end: () => Promise<void>): Promise<void> {
  let open = pool.totalCount;
  let timer: NodeJS.Timeout | undefined;
  const gone = new Promise<void>((resolve) => {
    if (open === 0) return resolve();
    pool.on('remove', () => {
      open -= 1;
      if (open === 0) resolve();
    });
    timer = setTimeout(resolve, 5_000);
  });
  await end();
  await gone;
  clearTimeout(timer);
}

export function createDatabase(options: DatabaseOptions): Database {
  const pool = loggedPool(
    {
      connectionString: options.connectionString,
      max: options.poolMax,
      connectionTimeoutMillis: options.connectTimeoutMs,
      statement_timeout: options.statementTimeoutMs,
      application_name: options.applicationName ?? 'graphpulse',
    },
    options.onConnectionError,
  );
  const observers = new Set<QueryObserver>();
  const stats = { queries: 0, errors: 0 };
  const log = (event: LogEvent) => {
    stats.queries += 1;
    if (event.level === 'error') stats.errors += 1;
    for (const observer of observers) observer(event);
  };
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }), log });
  return {
    db,
    pool,
    stats,
    observe(observer) {
      observers.add(observer);
      return () => observers.delete(observer);
    },
    over: (other) => new Kysely<Tables>({ dialect: new PostgresDialect({ pool: other }), log }),
    close: () => closePool(pool, () => db.destroy()),
  };
}
