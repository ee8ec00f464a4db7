import type { FieldStats, TieredCache } from '../cache/tiered-cache.js';

export interface FieldCacheRow extends FieldStats {
  field: string;
  /** (hits + staleHits) / (hits + staleHits + misses); 0 before any read. */
  hitRate: number;
}

export interface CacheSnapshot extends FieldStats {
  hitRate: number;
  /** Redis command failures (each one served as a miss). */
  redisErrors: number;
  /** Whole operations served from stored bytes (fresh and stale). */
  operationHits: number;
  l1Entries: number;
  l1Bytes: number;
  redisConnected: boolean;
  degraded: boolean;
  /** The Redis cache breaker is open: L2 is not asked and invalidations are remembered for replay. */
  breakerOpen: boolean;
  /** Times the breaker opened since start or reset. */
  breakerOpenings: number;
  /** Last opening and closing of the breaker (since start); null before the first. */
  breakerLastOpenedAt: Date | null;
  breakerLastClosedAt: Date | null;
  /** Since when this instance may miss invalidations (Redis unreachable or pub/sub lost); null while both work. */
  outageSince: Date | null;
  /** Tags invalidated while Redis was unreachable, waiting to be replayed to L2 and the other instances. */
  pendingInvalidationTags: number;
  /** More invalidations were missed than could be remembered: every L2 entry and every L1 will be dropped once Redis is back. */
  pendingInvalidateEverything: boolean;
  /** Times all of L1 was dropped because Redis became reachable again, since start or reset. */
  l1DropsAfterOutage: number;
  fields: FieldCacheRow[];
}

const dateOrNull = (ms: number | null | undefined): Date | null => (ms === null || ms === undefined ? null : new Date(ms));

const ZERO: FieldStats = { hits: 0, misses: 0, staleHits: 0, errors: 0 };
/**
 * The hot path counts each whole-operation hit under this name besides the fields the
 * entry was built from (hot-path/operation-cache.ts). It is not a field and has no
 * misses, so it is reported apart (operationHits) and kept out of the field totals.
 */
export const OPERATION_STATS = 'Operation';

export function hitRateOf(s: FieldStats): number {
  const reads = s.hits + s.staleHits + s.misses;
  return reads === 0 ? 0 : (s.hits + s.staleHits) / reads;
}

/**
 * Reads the cache's own counters (TieredCache.stats, kept by the @cached wrapper and
 * the hot path) rather than counting twice. The cache's counters only grow, so a reset
 * keeps a baseline and every read reports the difference.
 */
export class CacheReader {
  private baseline = new Map<string, FieldStats>();
  private redisErrorsBaseline = 0;
  private breakerOpeningsBaseline = 0;
  private l1DropsBaseline = 0;

  constructor(private readonly cache: TieredCache) {}

  fields(): FieldCacheRow[] {
    const rows: FieldCacheRow[] = [];
    for (const field of this.cache.stats.keys()) {
      if (field === OPERATION_STATS) continue;
      const s = this.since(field);
      if (s.hits + s.misses + s.staleHits + s.errors === 0) continue;
      rows.push({ field, ...s, hitRate: hitRateOf(s) });
    }
    return rows.sort((a, b) => a.field.localeCompare(b.field));
  }

  /** One entry's counters since the last reset. */
  private since(field: string): FieldStats {
    const now = this.cache.stats.get(field) ?? ZERO;
    const base = this.baseline.get(field) ?? ZERO;
    return {
      hits: now.hits - base.hits,
      misses: now.misses - base.misses,
      staleHits: now.staleHits - base.staleHits,
      errors: now.errors - base.errors,
    };
  }

  snapshot(): CacheSnapshot {
    const fields = this.fields();
    const total = { ...ZERO };
    for (const f of fields) {
      total.hits += f.hits;
      total.misses += f.misses;
      total.staleHits += f.staleHits;
      total.errors += f.errors;
    }
    const l2 = this.cache.l2;
    return {
      ...total,
      hitRate: hitRateOf(total),
      redisErrors: (l2?.errors ?? 0) - this.redisErrorsBaseline,
      operationHits: ((op) => op.hits + op.staleHits)(this.since(OPERATION_STATS)),
      l1Entries: this.cache.l1.size,
      l1Bytes: this.cache.l1.bytes,
      redisConnected: l2?.connected ?? false,
      degraded: l2?.degraded ?? false,
      breakerOpen: l2?.breaker.isOpen ?? false,
      breakerOpenings: (l2?.breaker.openings ?? 0) - this.breakerOpeningsBaseline,
      breakerLastOpenedAt: dateOrNull(l2?.breaker.lastOpenedAt),
      breakerLastClosedAt: dateOrNull(l2?.breaker.lastClosedAt),
      outageSince: dateOrNull(this.cache.outageStartedAt),
      pendingInvalidationTags: this.cache.missedInvalidations.tags,
      pendingInvalidateEverything: this.cache.missedInvalidations.everything,
      l1DropsAfterOutage: this.cache.l1DropsAfterOutage - this.l1DropsBaseline,
      fields,
    };
  }

  reset(): void {
    this.baseline = new Map([...this.cache.stats].map(([field, s]) => [field, { ...s }]));
    this.redisErrorsBaseline = this.cache.l2?.errors ?? 0;
    this.breakerOpeningsBaseline = this.cache.l2?.breaker.openings ?? 0;
    this.l1DropsBaseline = this.cache.l1DropsAfterOutage;
  }
}
