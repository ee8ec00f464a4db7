import type { LogEvent } from 'kysely';
import type pg from 'pg';
import type { Logger } from '../logger.js';
import { LatencyHistogram, type LatencySummaryData } from './latency-histogram.js';
import { QueryPlanner } from './query-plans.js';
import { sampleOf, type StatementSample } from './statement-sample.js';
import { normalizeSql } from './sql-normalizer.js';

/** pg's pool size when none is given (ours always gives DB_POOL_MAX). */
const PG_DEFAULT_POOL_MAX = 10;
/** Distinct slow statement shapes kept; later shapes are counted under OTHER_SHAPES (a bound on memory, not a sample). */
const MAX_SHAPES = 200;
export const OTHER_SHAPES = '(other statements)';

export interface SlowQueryRow {
  sql: string;
  count: number;
  latency: LatencySummaryData;
  /** The slowest execution of the shape, as it ran (null for the row of OTHER_SHAPES). */
  sample: StatementSample | null;
}

export interface DatabaseSnapshot {
  queries: number;
  errors: number;
  slowQueryCount: number;
  slowQueryThresholdMs: number;
  latency: LatencySummaryData;
  pool: PoolSnapshot;
}

export interface PoolSnapshot {
  total: number;
  idle: number;
  waiting: number;
  /** DB_POOL_MAX: the most connections the pool opens. */
  max: number;
  /** Connections lent out, in percent of max: (total - idle) / max * 100. */
  utilizationPercent: number;
}

/** Pool figures with its utilisation: connections in use over the most it may open. */
export function poolSnapshot(total: number, idle: number, waiting: number, max: number): PoolSnapshot {
  return { total, idle, waiting, max, utilizationPercent: max > 0 ? ((total - idle) / max) * 100 : 0 };
}

interface SlowShape {
  count: number;
  latency: LatencyHistogram;
  sample: StatementSample | null;
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
  private readonly slow = new Map<string, SlowShape>();
  /** EXPLAIN of the slow shapes' samples, on demand (SlowQuery.plan). */
  readonly plans: QueryPlanner;

  constructor(
    private readonly pool: pg.Pool,
    readonly slowQueryMs: number,
    private readonly logger: Logger,
  ) {
    this.plans = new QueryPlanner(pool, logger);
  }

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
    let own = true;
    if (!shape) {
      const key = this.slow.size < MAX_SHAPES ? sql : OTHER_SHAPES;
      own = key === sql;
      shape = this.slow.get(key);
      if (!shape) this.slow.set(key, (shape = { count: 0, latency: new LatencyHistogram(), sample: null }));
    }
    shape.count += 1;
    shape.latency.record(ms);
    // The slowest execution of the shape is its sample; OTHER_SHAPES mixes shapes, so it keeps none.
    if (own && (shape.sample === null || ms > shape.sample.durationMs)) shape.sample = sampleOf(event.query, ms);
    this.logger.warn({ sql, durationMs: Math.round(ms * 100) / 100, failed: event.level === 'error' }, 'slow query');
  }

  /** Slow statement shapes, slowest p95 first. */
  slowQueries(limit: number): SlowQueryRow[] {
    const rows = [...this.slow].map(([sql, s]) => ({ sql, count: s.count, latency: s.latency.summary(), sample: s.sample }));
    rows.sort((a, b) => b.latency.p95Ms - a.latency.p95Ms || b.count - a.count || a.sql.localeCompare(b.sql));
    return rows.slice(0, limit);
  }

  /**
   * One recorded shape by its normalized text (SlowQuery of DatabaseMetrics.slowQuery); null
   * when no such shape was recorded. A lookup in the recorder's own map: the text given
   * never runs, only the recorded sample of a shape it names exactly does (SlowQuery.plan).
   */
  slowQuery(sql: string): SlowQueryRow | null {
    const shape = this.slow.get(sql);
    return shape ? { sql, count: shape.count, latency: shape.latency.summary(), sample: shape.sample } : null;
  }

  /** The since-start statement-latency histogram, for the cluster view (metrics/history). */
  latencyHistogram(): LatencyHistogram {
    return this.latency;
  }

  snapshot(): DatabaseSnapshot {
    return {
      queries: this.queries,
      errors: this.errors,
      slowQueryCount: this.slowCount,
      slowQueryThresholdMs: this.slowQueryMs,
      latency: this.latency.summary(),
      pool: this.poolNow(),
    };
  }

  /** The pool's figures now (Metrics.database.pool and the history's snapshots read the same). */
  poolNow(): PoolSnapshot {
    return poolSnapshot(this.pool.totalCount, this.pool.idleCount, this.pool.waitingCount, this.pool.options.max ?? PG_DEFAULT_POOL_MAX);
  }

  reset(): void {
    this.queries = 0;
    this.errors = 0;
    this.slowCount = 0;
    this.latency.reset();
    this.slow.clear();
  }
}
