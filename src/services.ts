import type { PrincipalCache } from './auth/principal-cache.js';
import type { TieredCache } from './cache/tiered-cache.js';
import type { RateLimiter } from './security/rate-limiter.js';
import type { InvalidationCoalescer } from './ingest/invalidation-coalescer.js';
import type { StoreDirectory } from './ingest/store-directory.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { Logger } from './logger.js';
import type { MetricsRegistry } from './metrics/metrics-registry.js';
import type { QueueCountsSource } from './metrics/queue-counts.js';
import type { Jobs } from './jobs/job-runtime.js';

/** Long-lived parts built once by app.ts and shared by every request. */
export interface Services {
  config: Config;
  logger: Logger;
  database: Database;
  principals: PrincipalCache;
  cache: TieredCache;
  rateLimiter: RateLimiter;
  /** The one metrics registry (GraphQL Metrics and /metrics); optional so processes without the API (workers) need none. */
  metrics?: MetricsRegistry;
  /** Queue counts for Metrics.queues and /metrics, provided by the jobs part; absent = no queues. */
  queues?: QueueCountsSource;
  /** Background jobs (src/jobs): producers, admin, job events; set by app.ts once started. */
  jobs?: Jobs;
  /** Event ingestion's helpers: known stores without a query per batch, coalesced invalidation. */
  ingest: { stores: StoreDirectory; invalidations: InvalidationCoalescer };
  /** Told about every request the hot path answers (metrics count them: Apollo never sees them). */
  hotPathListener?: (served: { status: number; stale: boolean; durationMs: number; cost: number }) => void;
  /** Told about every committed write (cache invalidation hooks in here). */
  afterWrite?: (write: WriteEvent) => Promise<void>;
}

export interface WriteEvent {
  kind: 'order' | 'inventory';
  storeId: number;
  productIds: number[];
  customerId?: number | null;
  /** UTC day the write lands in. */
  day: string;
}
