import type { CacheSnapshot } from '../cache-reader.js';
import type { DatabaseSnapshot } from '../database-recorder.js';
import type { HttpSnapshot } from '../http-recorder.js';
import type { EncodedLatency } from '../latency-histogram.js';
import type { MetricsRegistry } from '../metrics-registry.js';
import type { ProcessSnapshot } from '../process-monitor.js';
import type { InstanceIdentity } from './instance-identity.js';

/** Over the last 60 s of history: what Metrics.instances shows per instance. */
export interface RecentActivity {
  requestsPerSecond: number;
  p99Ms: number;
}

/**
 * One instance's cumulative numbers (since its start or resetMetrics), as published to
 * Redis every snapshot (JSON) for the cluster view. Latencies travel as encoded HDR
 * histograms so the cluster's percentiles come from a merge, never from averaging.
 */
export interface InstanceState {
  identity: InstanceIdentity;
  /** epoch ms */
  publishedAt: number;
  recent: RecentActivity;
  http: Omit<HttpSnapshot, 'latency'> & { latency: EncodedLatency };
  resolvers: Array<{ field: string; count: number; errors: number; latency: EncodedLatency }>;
  /** As CacheReader reports it (dates become ISO strings in JSON). */
  cache: CacheSnapshot;
  database: Omit<DatabaseSnapshot, 'latency'> & { latency: EncodedLatency };
  process: ProcessSnapshot;
}

export function buildInstanceState(
  registry: MetricsRegistry,
  identity: InstanceIdentity,
  recent: RecentActivity,
  now: number,
): InstanceState {
  const resolvers: InstanceState['resolvers'] = [];
  for (const t of registry.resolvers.timings()) {
    if (t.count > 0) resolvers.push({ field: t.field, count: t.count, errors: t.errors, latency: t.latency.encode() });
  }
  return {
    identity,
    publishedAt: now,
    recent,
    http: { ...registry.http.snapshot(), latency: registry.http.latency.encode() },
    resolvers,
    cache: registry.cache.snapshot(),
    database: { ...registry.database.snapshot(), latency: registry.database.latencyHistogram().encode() },
    process: registry.process.snapshot(),
  };
}
