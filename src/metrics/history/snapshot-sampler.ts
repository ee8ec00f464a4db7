import type { FieldStats, TieredCache } from '../../cache/tiered-cache.js';
import type { QueueName } from '../../jobs/job-names.js';
import { OPERATION_STATS } from '../cache-reader.js';
import type { MetricsRegistry } from '../metrics-registry.js';
import { IntervalLatency } from './interval-latency.js';
import type { CacheFieldCounts, MetricsSnapshot } from './metrics-snapshot.js';

/**
 * Queues left out of the history's jobsCompleted/jobsFailed (and so of failed_jobs_5m): a
 * dead webhook receiver failing sendAlertWebhook jobs must not fire JobsFailing, whose own
 * webhook would fail again, in a loop. QueueMetrics and /metrics still count them per queue.
 */
const NOT_IN_HISTORY: ReadonlySet<string> = new Set<QueueName>(['alerts']);

export interface SnapshotSources {
  registry: MetricsRegistry;
  cache: TieredCache;
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

  /** The registry's event-loop timer feeds each interval's lag (shared with /metrics: started once per user). */
  start(): void {
    this.sources.registry.eventLoop.interval.take();
    this.sources.registry.eventLoop.start();
  }

  stop(): void {
    this.sources.registry.eventLoop.stop();
  }

  take(now: number): MetricsSnapshot {
    const { registry, cache } = this.sources;
    const pool = registry.database.poolNow();
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
      poolTotal: pool.total,
      poolIdle: pool.idle,
      poolWaiting: pool.waiting,
      poolMax: pool.max,
      l1Bytes: cache.l1.bytes,
      breakerOpen: cache.l2?.breaker.isOpen ?? false,
      eventLoopLagP99Ms: Math.round(registry.eventLoop.interval.take().percentileMs(99) * 1000) / 1000,
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
    for (const [name, queue] of this.sources.registry.jobOutcomes.totals()) {
      if (NOT_IN_HISTORY.has(name)) continue;
      completed += queue.completed;
      failed += queue.failed;
    }
    return { completed, failed };
  }
}
