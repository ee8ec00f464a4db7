import { LatencyHistogram, type LatencySummaryData } from '../latency-histogram.js';
import type { MetricsSnapshot } from './metrics-snapshot.js';

/** One step of Metrics.history (the MetricsPoint type). */
export interface HistoryPoint {
  /** Start of the step: epoch ms a multiple of stepSeconds × 1000. */
  at: Date;
  stepSeconds: number;
  instances: number;
  requests: number;
  requestsPerSecond: number;
  errors: number;
  errorRate: number;
  latency: LatencySummaryData;
  analyticsLatency: LatencySummaryData;
  cacheHits: number;
  cacheStaleHits: number;
  cacheMisses: number;
  cacheHitRate: number | null;
  cacheFields: Array<{ field: string; hits: number; staleHits: number; misses: number }>;
  l1Bytes: number;
  redisDegraded: boolean;
  poolTotal: number;
  poolIdle: number;
  poolWaiting: number;
  poolMax: number;
  poolUtilizationPercent: number;
  eventLoopLagP99Ms: number;
  rssBytes: number;
  jobsCompleted: number;
  jobsFailed: number;
}

/**
 * The step a snapshot belongs to: the one holding the middle of its interval. Samplers tick
 * on wall-clock multiples of 10 s, so every instance's snapshot of one 10 s lands in the
 * same step, whatever the instance.
 */
export function stepStartOf(snapshot: MetricsSnapshot, stepMs: number): number {
  return Math.floor((snapshot.from + snapshot.to) / 2 / stepMs) * stepMs;
}

/**
 * Snapshots (any instances, any order) into points, oldest first, one per step holding at
 * least one. Counters are summed, latencies merged exactly from the HDR histograms, lag is
 * the max; gauges (pool, L1 bytes, RSS) are each instance's last value in the step, summed.
 * Job outcomes are the exception: every instance counts every job of the queues (they come
 * from QueueEvents, see metrics/job-outcomes.ts), so the cluster's are the largest count of
 * one instance, not a sum.
 */
export function mergeIntoPoints(snapshots: readonly MetricsSnapshot[], stepSeconds: number, cache?: PointCache): HistoryPoint[] {
  const stepMs = stepSeconds * 1000;
  const steps = new Map<number, MetricsSnapshot[]>();
  for (const snapshot of snapshots) {
    const start = stepStartOf(snapshot, stepMs);
    const step = steps.get(start);
    if (step) step.push(snapshot);
    else steps.set(start, [snapshot]);
  }
  return [...steps]
    .sort(([a], [b]) => a - b)
    .map(([start, step]) => (cache ? cache.point(start, stepSeconds, step) : mergeStep(start, stepSeconds, step)));
}

/** Points kept: one hour of 10 s steps for a few step sizes and both scopes. */
const POINT_CACHE_ENTRIES = 4_000;

/**
 * Merged points by the exact set of snapshots in them. Decoding HDR histograms costs
 * ~0.2 ms each, so an hour of two instances is ~300 ms of event loop; a dashboard asks
 * for the same hour every 10 s, and only the newest steps have new snapshots. A point is
 * reused only while the same snapshots make it, so it is never stale.
 */
export class PointCache {
  private readonly points = new Map<string, HistoryPoint>();

  point(start: number, stepSeconds: number, snapshots: MetricsSnapshot[]): HistoryPoint {
    const key = `${stepSeconds}:${start}:${snapshots
      .map((s) => `${s.instanceId}@${s.to}`)
      .sort()
      .join(',')}`;
    let point = this.points.get(key);
    if (point) {
      // Map order is insertion order: re-inserting keeps the points in use away from eviction.
      this.points.delete(key);
    } else {
      point = mergeStep(start, stepSeconds, snapshots);
      if (this.points.size >= POINT_CACHE_ENTRIES) this.points.delete(this.points.keys().next().value as string);
    }
    this.points.set(key, point);
    return point;
  }
}

function mergeStep(start: number, stepSeconds: number, snapshots: MetricsSnapshot[]): HistoryPoint {
  const latency = new LatencyHistogram();
  const analytics = new LatencyHistogram();
  const fields = new Map<string, { field: string; hits: number; staleHits: number; misses: number }>();
  const byInstance = new Map<string, { last: MetricsSnapshot; requests: number; coveredMs: number; completed: number; failed: number }>();
  let requests = 0;
  let errors = 0;
  let lag = 0;
  let degraded = false;
  for (const s of snapshots) {
    requests += s.requests;
    errors += s.errors;
    lag = Math.max(lag, s.eventLoopLagP99Ms);
    degraded ||= s.breakerOpen;
    latency.addEncoded(s.latency);
    analytics.addEncoded(s.analyticsLatency);
    for (const [field, counts] of Object.entries(s.cacheFields)) {
      const row = fields.get(field) ?? { field, hits: 0, staleHits: 0, misses: 0 };
      row.hits += counts.hits;
      row.staleHits += counts.staleHits;
      row.misses += counts.misses;
      fields.set(field, row);
    }
    const instance = byInstance.get(s.instanceId);
    if (!instance) {
      byInstance.set(s.instanceId, {
        last: s,
        requests: s.requests,
        coveredMs: s.to - s.from,
        completed: s.jobsCompleted,
        failed: s.jobsFailed,
      });
    } else {
      if (s.to > instance.last.to) instance.last = s;
      instance.requests += s.requests;
      instance.coveredMs += s.to - s.from;
      instance.completed += s.jobsCompleted;
      instance.failed += s.jobsFailed;
    }
  }
  const lasts = [...byInstance.values()];
  const sum = (pick: (s: MetricsSnapshot) => number) => lasts.reduce((total, i) => total + pick(i.last), 0);
  const cacheFields = [...fields.values()].sort(
    (a, b) => b.hits + b.staleHits + b.misses - (a.hits + a.staleHits + a.misses) || a.field.localeCompare(b.field),
  );
  const cacheHits = cacheFields.reduce((total, f) => total + f.hits, 0);
  const cacheStaleHits = cacheFields.reduce((total, f) => total + f.staleHits, 0);
  const cacheMisses = cacheFields.reduce((total, f) => total + f.misses, 0);
  const reads = cacheHits + cacheStaleHits + cacheMisses;
  const poolTotal = sum((s) => s.poolTotal);
  const poolIdle = sum((s) => s.poolIdle);
  const poolMax = sum((s) => s.poolMax);
  return {
    at: new Date(start),
    stepSeconds,
    instances: byInstance.size,
    requests,
    // Each instance's rate over the time its snapshots cover, summed: the cluster's rate.
    requestsPerSecond: lasts.reduce((total, i) => total + (i.coveredMs > 0 ? (i.requests * 1000) / i.coveredMs : 0), 0),
    errors,
    errorRate: requests === 0 ? 0 : Math.min(1, errors / requests),
    latency: latency.summary(),
    analyticsLatency: analytics.summary(),
    cacheHits,
    cacheStaleHits,
    cacheMisses,
    cacheHitRate: reads === 0 ? null : (cacheHits + cacheStaleHits) / reads,
    cacheFields,
    l1Bytes: sum((s) => s.l1Bytes),
    redisDegraded: degraded,
    poolTotal,
    poolIdle,
    poolWaiting: sum((s) => s.poolWaiting),
    poolMax,
    poolUtilizationPercent: poolMax === 0 ? 0 : ((poolTotal - poolIdle) / poolMax) * 100,
    eventLoopLagP99Ms: lag,
    rssBytes: sum((s) => s.rssBytes),
    jobsCompleted: Math.max(0, ...lasts.map((i) => i.completed)),
    jobsFailed: Math.max(0, ...lasts.map((i) => i.failed)),
  };
}
