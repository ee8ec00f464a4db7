import type { LogEvent } from 'kysely';
import type pg from 'pg';
import type { Logger } from '../logger.js';
import { LatencyHistogram, type LatencySummaryData } from './latency-histogram.js';
import { normalizeSql } from './sql-normalizer.js';

/** Distinct slow statement shapes kept; later shapes are counted under OTHER_SHAPES (a bound on memory, not a sample). */
const MAX_SHAPES = 200;
export const OTHER_SHAPES = '(other statements)';

export interface SlowQueryRow {
  sql: string;
  count: number;
  latency: LatencySummaryData;
}

export interface DatabaseSnapshot {
  queries: number;
  errors: number;
  slowQueryCount: number;
  slowQueryThresholdMs: number;
  latency: LatencySummaryData;
  pool: { total: number; idle: number; waiting: number };
}

/**
 * Fed by Kysely's log hook (database.observe): every statement's duration, failures,
 * and the slow ones by normalized text — each slow one is also a warning in the log.
 */
export class DatabaseRecorder {
  private queries = 0;
  private errors = 0;
  private slowCount = 0;
  private readonly latency = new LatencyHistogram();
  private readonly slow = new Map<string, { count: number; latency: LatencyHistogram }>();

  constructor(
    private readonly pool: pg.Pool,
    readonly slowQueryMs: number,
    private readonly logger: Logger,
  ) {}

  /** The QueryObserver to pass to database.observe(). */
  readonly observe = (event: LogEvent): void => {
    this.queries += 1;
    if (event.level === 'error') this.errors += 1;
    const ms = event.queryDurationMillis;
    this.latency.record(ms);
    if (ms >= this.slowQueryMs) this.recordSlow(event, ms);
  };

  private recordSlow(event: LogEvent, ms: number): void {
    this.slowCount += 1;
    const sql = normalizeSql(event.query.sql);
    let shape = this.slow.get(sql);
    if (!shape) {
      const key = this.slow.size < MAX_SHAPES ? sql : OTHER_SHAPES;
      shape = this.slow.get(key);
      if (!shape) this.slow.set(key, (shape = { count: 0, latency: new LatencyHistogram() }));
    }
    shape.count += 1;
    shape.latency.record(ms);
    this.logger.warn({ sql, durationMs: Math.round(ms * 100) / 100, failed: event.level === 'error' }, 'slow query');
  }

  /** Slow statement shapes, slowest p95 first. */
  slowQueries(limit: number): SlowQueryRow[] {
    const rows = [...this.slow].map(([sql, s]) => ({ sql, count: s.count, latency: s.latency.summary() }));
    rows.sort((a, b) => b.latency.p95Ms - a.latency.p95Ms || b.count - a.count || a.sql.localeCompare(b.sql));
    return rows.slice(0, limit);
  }

  snapshot(): DatabaseSnapshot {
    return {
      queries: this.queries,
      errors: this.errors,
      slowQueryCount: this.slowCount,
      slowQueryThresholdMs: this.slowQueryMs,
      latency: this.latency.summary(),
      pool: { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount },
    };
  }

  reset(): void {
    this.queries = 0;
    this.errors = 0;
    this.slowCount = 0;
    this.latency.reset();
    this.slow.clear();
  }
}
