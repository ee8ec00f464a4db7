import type { PrincipalCache } from './auth/principal-cache.js';
import type { TieredCache } from './cache/tiered-cache.js';
import type { RateLimiter } from './security/rate-limiter.js';
import type { InvalidationCoalescer } from './ingest/invalidation-coalescer.js';
import type { StoreDirectory } from './ingest/store-directory.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { Logger } from './logger.js';

/** Long-lived parts built once by app.ts and shared by every request. */
export interface Services {
  config: Config;
  logger: Logger;
  database: Database;
  principals: PrincipalCache;
  cache: TieredCache;
  rateLimiter: RateLimiter;
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
