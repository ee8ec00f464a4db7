import type { AlertService } from './alerts/alert-service.js';
import type { PrincipalCache } from './auth/principal-cache.js';
import type { TieredCache } from './cache/tiered-cache.js';
import type { RateLimiter } from './security/rate-limiter.js';
import type { InvalidationCoalescer } from './ingest/invalidation-coalescer.js';
import type { StoreDirectory } from './ingest/store-directory.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { ReadReplicas } from './db/read-replicas.js';
import type { Logger } from './logger.js';
import type { MetricsHistory } from './metrics/history/metrics-history.js';
import type { MetricsRegistry } from './metrics/metrics-registry.js';
import type { QueueCountsSource } from './metrics/queue-counts.js';
import type { Jobs } from './jobs/jobs.js';

/**
 * Long-lived parts built once by app.ts and shared by every request. Built whole, never
 * changed afterwards: app.ts opens the jobs part (producers) before assembling this, and
 * starts the workers, which need it, only after.
 */
export interface Services {
  readonly config: Config;
  readonly logger: Logger;
  readonly database: Database;
  /** DATABASE_READ_URLS: analytic reads and lists go to these (src/db/read-replicas.ts); absent without it. */
  readonly replicas?: ReadReplicas;
  readonly principals: PrincipalCache;
  readonly cache: TieredCache;
  readonly rateLimiter: RateLimiter;
  /** The one metrics registry (GraphQL Metrics and /metrics); optional so processes without the API (workers) need none. */
  readonly metrics?: MetricsRegistry;
  /** Metric history (10 s snapshots, 1 h) and the cluster view through Redis; absent in processes without the API (workers). */
  readonly metricsHistory?: MetricsHistory;
  /** Alert rules evaluated over the history (Metrics.alerts, alertEvents, webhook); absent in processes without the API (workers). */
  readonly alerts?: AlertService;
  /** Queue counts for Metrics.queues and /metrics, provided by the jobs part. */
  readonly queues: QueueCountsSource;
  /** Background jobs (src/jobs): producers, admin, job events. */
  readonly jobs: Jobs;
  /** Event ingestion's helpers: known stores without a query per batch, coalesced invalidation. */
  readonly ingest: { readonly stores: StoreDirectory; readonly invalidations: InvalidationCoalescer };
  /** Told about every request the hot path answers (metrics count them: Apollo never sees them); absent when nothing counts them. */
  readonly hotPathListener?: (served: { status: number; stale: boolean; durationMs: number; cost: number }) => void;
  /** Told about every committed write (cache invalidation hooks in here). */
  readonly afterWrite: (write: WriteEvent) => Promise<void>;
}

export interface WriteEvent {
  kind: 'order' | 'inventory';
  storeId: number;
  productIds: number[];
  customerId?: number | null;
  /** UTC day the write lands in. */
  day: string;
}
