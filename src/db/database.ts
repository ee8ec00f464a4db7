import { Kysely, PostgresDialect, type LogEvent } from 'kysely';
import pg from 'pg';
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
}

export interface Database {
  db: Db;
  pool: pg.Pool;
  /** Statements run since start; tests diff it around one request. */
  readonly stats: { queries: number; errors: number };
  observe(observer: QueryObserver): () => void;
  close(): Promise<void>;
}

export function createDatabase(options: DatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolMax,
    connectionTimeoutMillis: options.connectTimeoutMs,
    statement_timeout: options.statementTimeoutMs,
    application_name: options.applicationName ?? 'graphpulse',
  });
  const observers = new Set<QueryObserver>();
  const stats = { queries: 0, errors: 0 };
  const db = new Kysely<Tables>({
    dialect: new PostgresDialect({ pool }),
    log(event) {
      stats.queries += 1;
      if (event.level === 'error') stats.errors += 1;
      for (const observer of observers) observer(event);
    },
  });
  return {
    db,
    pool,
    stats,
    observe(observer) {
      observers.add(observer);
      return () => observers.delete(observer);
    },
    close: () => db.destroy(),
  };
}
