import type { EncodedLatency } from '../latency-histogram.js';

export interface CacheFieldCounts {
  hits: number;
  staleHits: number;
  misses: number;
}

/**
 * What one instance did in one sampling interval (10 s), as kept in the ring and published
 * to Redis (JSON). Counters are the interval's deltas; gauges are read at `to`.
 */
export interface MetricsSnapshot {
  instanceId: string;
  /** Start and end of the interval, epoch ms. */
  from: number;
  to: number;
  requests: number;
  errors: number;
  /** HTTP /graphql latency of the interval's requests. */
  latency: EncodedLatency;
  /** Resolver latency of the @cached (analytic) fields in the interval, hits included. */
  analyticsLatency: EncodedLatency;
  /** Reads by @cached field coordinate; fields without reads in the interval are left out. */
  cacheFields: Record<string, CacheFieldCounts>;
  jobsCompleted: number;
  jobsFailed: number;
  poolTotal: number;
  poolIdle: number;
  poolWaiting: number;
  poolMax: number;
  l1Bytes: number;
  breakerOpen: boolean;
  /** p99 of the event-loop delay during the interval, ms beyond the monitor's resolution. */
  eventLoopLagP99Ms: number;
  rssBytes: number;
}
