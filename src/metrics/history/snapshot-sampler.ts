import type pg from 'pg';
import type { FieldStats, TieredCache } from '../../cache/tiered-cache.js';
import type { MetricsRegistry } from '../metrics-registry.js';
import { IntervalLatency } from './interval-latency.js';
import { IntervalLoopLag } from './interval-loop-lag.js';
import type { CacheFieldCounts, MetricsSnapshot } from './metrics-snapshot.js';

/** Whole-operation hits of the hot path are kept under this name in the cache's stats; it is not a field. */
const OPERATION_STATS = 'Operation';

export interface SnapshotSources {
  registry: MetricsRegistry;
  cache: TieredCache;
  pool: pg.Pool;
  /** Coordinates of the @cached fields: their resolver latency is the analytics latency. */
  analyticFields: readonly string[];
}

/** A counter's growth since the last read; one that went down was reset (resetMetrics): what it holds now is the growth since. */
const delta = (now: number, before: number) => (now >= before ? now - before : now);

/**
 * Turns the registry's since-start counters into one interval's snapshot: counters as
 * deltas from the previous call, latencies from the interval histograms the recorders
 * feed (taken and replaced here), gauges read now.
 */
export class SnapshotSampler {
  private readonly analyticsInterval = new IntervalLatency();
  private readonly loopLag = new IntervalLoopLag();
  private last: { at: number; errors: number; completed: number; failed: number };
  private lastCache = new Map<string, FieldStats>();

  constructor(
    private readonly instanceId: string,
    private readonly sources: SnapshotSources,
    now: number,
  ) {
    sources.registry.resolvers.markAnalytic(sources.analyticFields, this.analyticsInterval);
    const http = sources.registry.http.snapshot();
    const jobs = this.jobTotals();
    this.last = { at: now, errors: http.errors, ...jobs };
    this.lastCache = this.cacheTotals();
    // What happened before the first interval is not part of it.
    sources.registry.http.interval.take();
  }

  start(): void {
    this.loopLag.start();
  }

  stop(): void {
    this.loopLag.stop();
  }

  take(now: number): MetricsSnapshot {
    const { registry, cache, pool } = this.sources;
    const http = registry.http.snapshot();
    const jobs = this.jobTotals();
    const cacheTotals = this.cacheTotals();
    // Every request is recorded in the interval histogram, which resetMetrics leaves alone: its count is the exact request count.
    const latency = registry.http.interval.take();
    const cacheFields: Record<string, CacheFieldCounts> = {};
    for (const [field, s] of cacheTotals) {
      const before = this.lastCache.get(field);
      const counts = {
        hits: delta(s.hits, before?.hits ?? 0),
        staleHits: delta(s.staleHits, before?.staleHits ?? 0),
        misses: delta(s.misses, before?.misses ?? 0),
      };
      if (counts.hits + counts.staleHits + counts.misses > 0) cacheFields[field] = counts;
    }
    const snapshot: MetricsSnapshot = {
      instanceId: this.instanceId,
      from: this.last.at,
      to: now,
      requests: latency.count,
      errors: delta(http.errors, this.last.errors),
      latency: latency.encode(),
      analyticsLatency: this.analyticsInterval.take().encode(),
      cacheFields,
      jobsCompleted: delta(jobs.completed, this.last.completed),
      jobsFailed: delta(jobs.failed, this.last.failed),
      poolTotal: pool.totalCount,
      poolIdle: pool.idleCount,
      poolWaiting: pool.waitingCount,
      poolMax: pool.options.max ?? 10, // pg's default
      l1Bytes: cache.l1.bytes,
      breakerOpen: cache.l2?.breaker.isOpen ?? false,
      eventLoopLagP99Ms: this.loopLag.take(),
      rssBytes: process.memoryUsage.rss(),
    };
    this.last = { at: now, errors: http.errors, ...jobs };
    this.lastCache = cacheTotals;
    return snapshot;
  }

  /** A copy of the cache's cumulative per-field counters (they only grow; resetMetrics keeps a baseline elsewhere). */
  private cacheTotals(): Map<string, FieldStats> {
    const totals = new Map<string, FieldStats>();
    for (const [field, s] of this.sources.cache.stats) if (field !== OPERATION_STATS) totals.set(field, { ...s });
    return totals;
  }

  private jobTotals(): { completed: number; failed: number } {
    let completed = 0;
    let failed = 0;
    for (const queue of this.sources.registry.jobOutcomes.totals().values()) {
      completed += queue.completed;
      failed += queue.failed;
    }
    return { completed, failed };
  }
}
