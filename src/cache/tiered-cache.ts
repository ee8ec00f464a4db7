import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { CacheEntry, CacheOutcome, CacheTier } from './cache.js';
import type { InvalidationBus } from './invalidation-bus.js';
import type { MemoryStore } from './memory-store.js';
import type { RedisStore } from './redis-store.js';

export interface FetchOptions {
  /** Field coordinate (Store.revenue) for per-field statistics. */
  field: string;
  ttlSeconds: number;
  swrSeconds: number;
  /** Computed only when an entry is written (misses, refreshes): hits never pay for tag expansion. */
  tags: () => string[];
}

export interface FieldStats {
  hits: number;
  misses: number;
  staleHits: number;
  errors: number;
}

export interface FetchResult<V> {
  value: V;
  outcome: Omit<CacheOutcome, 'path' | 'field' | 'scope'>;
}

function outcomeOf(entry: CacheEntry, tier: CacheTier | 'MISS', now: number): FetchResult<unknown>['outcome'] {
  return {
    tier,
    age: tier === 'MISS' ? 0 : Math.floor((now - entry.createdAt) / 1000),
    stale: entry.freshUntil <= now,
    tags: entry.tags,
    freshUntil: entry.freshUntil,
    staleUntil: entry.staleUntil,
  };
}

const LOCK_TTL_MS = 5_000;
const LOCK_WAIT_MS = 2_000;
const LOCK_POLL_MS = 20;
/** How long an invalidation is remembered to refuse writes of values computed before it. */
const INVALIDATION_MEMORY_MS = 5 * 60_000;

/**
 * L1 in front of L2, with the project's cache rules: single flight per key in this
 * process, a short Redis lock across processes, stale-while-revalidate, stale-if-error,
 * and no write-back of a value whose tags were invalidated while it was computed.
 */
export class TieredCache {
  readonly stats = new Map<string, FieldStats>();
  private readonly inflight = new Map<string, Promise<FetchResult<unknown>>>();
  private readonly refreshing = new Set<string>();
  private readonly invalidatedAt = new Map<string, number>();

  constructor(
    readonly l1: MemoryStore,
    readonly l2: RedisStore | null,
    private readonly bus: InvalidationBus | null,
    private readonly logger: Logger,
  ) {
    bus?.onMessage((message) => {
      if (message.kind === 'tags') this.dropLocally(message.tags);
    });
  }

  private statsOf(field: string): FieldStats {
    let stats = this.stats.get(field);
    if (!stats) this.stats.set(field, (stats = { hits: 0, misses: 0, staleHits: 0, errors: 0 }));
    return stats;
  }

  async fetch<V>(key: string, options: FetchOptions, compute: () => Promise<V> | V): Promise<FetchResult<V>> {
    const now = Date.now();
    const stats = this.statsOf(options.field);
    let tier: CacheTier = 'L1';
    let entry = this.l1.get(key);
    if (!entry && this.l2) {
      entry = await this.l2.get(key);
      tier = 'L2';
      if (entry && this.predatesInvalidation(entry)) entry = undefined;
      if (entry) this.l1.set(key, entry);
      else {
        // A flight for this key may have finished (filling L1, its L2 write still under way)
        // while Redis answered: use its value rather than start a second computation.
        entry = this.l1.get(key);
        tier = 'L1';
      }
    }
    if (entry && entry.staleUntil > now) {
      const stale = entry.freshUntil <= now;
      if (stale) {
        stats.staleHits += 1;
        this.refreshInBackground(key, options, compute, entry);
      } else {
        stats.hits += 1;
      }
      return { value: entry.value as V, outcome: outcomeOf(entry, tier, now) };
    }
    stats.misses += 1;
    let pending = this.inflight.get(key) as Promise<FetchResult<V>> | undefined;
    if (!pending) {
      pending = this.computeAndStore(key, options, compute).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending as Promise<FetchResult<unknown>>);
    }
    return pending;
  }

  private async computeAndStore<V>(key: string, options: FetchOptions, compute: () => Promise<V> | V): Promise<FetchResult<V>> {
    const token = randomUUID();
    // A Redis that just failed is not asked again within this request: no request waits on it twice.
    const locked = this.l2 && !this.l2.failedRecently() ? await this.l2.tryLock(key, token, LOCK_TTL_MS) : null;
    try {
      if (locked === false && this.l2) {
        // Another instance is computing this key: wait (bounded) for its value rather than asking Postgres too.
        const waited = await this.waitForL2(key);
        if (waited) {
          this.l1.set(key, waited);
          return { value: waited.value as V, outcome: outcomeOf(waited, 'L2', Date.now()) };
        }
      }
      const started = Date.now();
      const value = await compute();
      const entry = this.store(key, options, value, started);
      return { value, outcome: outcomeOf(entry, 'MISS', Date.now()) };
    } finally {
      if (locked) void this.l2?.unlock(key, token);
    }
  }

  private async waitForL2(key: string): Promise<CacheEntry | undefined> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
      const entry = await this.l2?.get(key);
      if (entry && entry.freshUntil > Date.now()) return entry;
    }
    return undefined;
  }

  /**
   * Writes an entry to both tiers, unless a write invalidated one of its tags after
   * `startedAt` (the value may predate it). Returns the entry either way, so callers
   * know its freshness; `stored` says whether it was kept.
   */
  private store(key: string, options: Omit<FetchOptions, 'field'>, value: unknown, startedAt: number): CacheEntry & { stored: boolean } {
    const now = Date.now();
    const tags = options.tags();
    const entry: CacheEntry = {
      value,
      createdAt: now,
      freshUntil: now + options.ttlSeconds * 1000,
      staleUntil: now + (options.ttlSeconds + options.swrSeconds) * 1000,
      tags,
    };
    if (this.wasInvalidatedSince(tags, startedAt)) return { ...entry, stored: false };
    this.l1.set(key, entry);
    void this.l2?.set(key, entry);
    return { ...entry, stored: true };
  }

  wasInvalidatedSince(tags: readonly string[], since: number): boolean {
    return tags.some((tag) => (this.invalidatedAt.get(tag) ?? 0) >= since);
  }

  /**
   * An L2 entry made before an invalidation this instance knows of: its L2 delete failed
   * (Redis down or the breaker open) and it must not come back once Redis answers again.
   */
  private predatesInvalidation(entry: CacheEntry): boolean {
    return this.wasInvalidatedSince(entry.tags, entry.createdAt);
  }

  /** Reads an entry (L1, then L2) without computing anything: the operation hot path. */
  async peek(key: string): Promise<{ entry: CacheEntry; tier: CacheTier } | undefined> {
    const now = Date.now();
    const local = this.l1.get(key);
    if (local && local.staleUntil > now) return { entry: local, tier: 'L1' };
    const remote = await this.l2?.get(key);
    if (!remote || remote.staleUntil <= now || this.predatesInvalidation(remote)) return undefined;
    this.l1.set(key, remote);
    return { entry: remote, tier: 'L2' };
  }

  /** Stores a value computed elsewhere (an operation entry) under the same rules as fields. */
  put(key: string, value: unknown, options: { freshUntil: number; staleUntil: number; tags: string[]; startedAt: number }): boolean {
    if (this.wasInvalidatedSince(options.tags, options.startedAt)) return false;
    const entry: CacheEntry = {
      value,
      createdAt: Date.now(),
      freshUntil: options.freshUntil,
      staleUntil: options.staleUntil,
      tags: options.tags,
    };
    this.l1.set(key, entry);
    void this.l2?.set(key, entry);
    return true;
  }

  /** Counts a hot-path hit for each field an operation entry was built from. */
  countHits(fields: readonly string[], stale: boolean): void {
    for (const field of fields) {
      const stats = this.statsOf(field);
      if (stale) stats.staleHits += 1;
      else stats.hits += 1;
    }
  }

  private refreshInBackground<V>(key: string, options: FetchOptions, compute: () => Promise<V> | V, stale: CacheEntry): void {
    if (this.refreshing.has(key)) return;
    this.refreshing.add(key);
    const started = Date.now();
    Promise.resolve()
      .then(compute)
      .then(
        (value) => this.store(key, options, value, started),
        (error: unknown) => {
          // stale-if-error: keep serving the old value for another stale window and say why in the log.
          this.statsOf(options.field).errors += 1;
          this.logger.error({ err: error, key, field: options.field }, 'cache refresh failed; serving the stale value');
          const extended = { ...stale, staleUntil: Date.now() + Math.max(options.swrSeconds, 1) * 1000 };
          this.l1.set(key, extended);
        },
      )
      .finally(() => this.refreshing.delete(key));
  }

  private dropLocally(tags: readonly string[]): string[] {
    const now = Date.now();
    for (const tag of tags) this.invalidatedAt.set(tag, now);
    if (this.invalidatedAt.size > 50_000) {
      for (const [tag, at] of this.invalidatedAt) if (now - at > INVALIDATION_MEMORY_MS) this.invalidatedAt.delete(tag);
    }
    return this.l1.invalidate(tags);
  }

  /** Drops every entry with one of the tags in L1, in L2 and (pub/sub) in every other instance's L1. */
  async invalidate(tags: readonly string[]): Promise<number> {
    const unique = [...new Set(tags)];
    if (unique.length === 0) return 0;
    const removed = new Set(this.dropLocally(unique));
    if (this.l2) for (const key of await this.l2.invalidate(unique)) removed.add(key);
    // With the breaker open Redis is down: the publish would only wait out its timeout.
    if (this.bus && !this.l2?.breaker.isOpen) await this.bus.publish({ kind: 'tags', tags: unique });
    return removed.size;
  }

  /** Totals over every field, for /readyz and Metrics. */
  totals(): FieldStats & { l2Errors: number } {
    const total = { hits: 0, misses: 0, staleHits: 0, errors: 0, l2Errors: this.l2?.errors ?? 0 };
    for (const s of this.stats.values()) {
      total.hits += s.hits;
      total.misses += s.misses;
      total.staleHits += s.staleHits;
      total.errors += s.errors;
    }
    return total;
  }
}
