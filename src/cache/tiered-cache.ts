import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { CacheEntry, CacheOutcome, CacheTier } from './cache.js';
import type { InvalidationBus } from './invalidation-bus.js';
import type { MemoryStore } from './memory-store.js';
import { CacheGeneration, keyInGeneration, keyWithoutGeneration } from './cache-generation.js';
import { REDIS_HEDGE_MS, TOO_SLOW, withinHedge } from './hedge.js';
import { MissedInvalidations } from './missed-invalidations.js';
import { OutageClock, type RedisPart } from './outage-clock.js';
import { RecentInvalidations } from './recent-invalidations.js';
import type { RedisStore } from './redis-store.js';
import type { TagVersions } from './tag-versions.js';

export interface FetchOptions {
  /** Field coordinate (Store.revenue) for per-field statistics. */
  field: string;
  ttlSeconds: number;
  swrSeconds: number;
  /** Computed only when an entry is written (misses, refreshes): hits never pay for tag expansion. */
  tags: () => string[];
  /**
   * Any object that lives exactly as long as the request (its cache record). Once Redis
   * failed this request, the request does not ask Redis again, even if the breaker closed
   * meanwhile: one request waits on Redis at most one command timeout.
   */
  request?: object;
}

export interface TieredCacheOptions {
  /** CACHE_OUTAGE_TTL_MS: the longest an entry is served while this instance may miss invalidations (default 5000). */
  outageTtlMs?: number;
  /** How long a read or an invalidation waits on Redis before going on without it (default REDIS_HEDGE_MS; tests on a loaded box raise it). */
  hedgeMs?: number;
  /** The cache generation (createCache keeps it in Redis); default: in memory, starting at 0. */
  generation?: CacheGeneration;
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
    versions: entry.versions,
  };
}

const LOCK_TTL_MS = 5_000;
const LOCK_WAIT_MS = 2_000;
const LOCK_POLL_MS = 20;
/** How long an invalidation is remembered to refuse writes of values computed before it. */
const INVALIDATION_MEMORY_MS = 5 * 60_000;
const DEFAULT_OUTAGE_TTL_MS = 5_000;

/**
 * L1 in front of L2, with the project's cache rules: single flight per key in this
 * process, a short Redis lock across processes, stale-while-revalidate, stale-if-error,
 * and no write-back of a value whose tags were invalidated while it was computed.
 *
 * Redis outages (with L2 and the bus, as createCache builds it). The staleness bound,
 * with T = CACHE_OUTAGE_TTL_MS: an entry invalidated on another instance is served at
 * most T after the invalidation while the outage lasts, and at most about 1 s after
 * Redis is back (the reconnection backoff cap and one probe: the time every instance
 * needs to replay its missed invalidations). How:
 * - while this instance may miss invalidations (OutageClock), an L1 entry is served only
 *   until max(its creation, the outage's start) + T, and entries written then are capped
 *   to T (fresh and stale);
 * - its own invalidations that could not reach Redis are remembered and replayed (L2
 *   delete, publish) as soon as Redis is usable (MissedInvalidations);
 * - when its cache connection or its subscription comes back, it drops all of L1 (not
 *   only the entries of the outage: the simplest rule that cannot miss one).
 */
export class TieredCache {
  readonly stats = new Map<string, FieldStats>();
  /** Times all of L1 was dropped because Redis became reachable again after an outage. */
  l1DropsAfterOutage = 0;
  private readonly inflight = new Map<string, Promise<FetchResult<unknown>>>();
  private readonly refreshing = new Set<string>();
  private readonly invalidatedAt = new Map<string, number>();
  /** When another instance said "everything" was invalidated: older values count as invalidated. */
  private everythingInvalidatedAt = 0;
  private readonly outage: OutageClock | null;
  private readonly missed: MissedInvalidations | null;
  /** Requests that saw Redis fail (their cache records): they do not ask it again. */
  private readonly requestsRedisFailed = new WeakSet<object>();
  private readonly generation: CacheGeneration;
  private readonly recent = new RecentInvalidations();
  private readonly hedgeMs: number;

  constructor(
    readonly l1: MemoryStore,
    readonly l2: RedisStore | null,
    private readonly bus: InvalidationBus | null,
    private readonly logger: Logger,
    options: TieredCacheOptions = {},
  ) {
    bus?.onMessage((message) => {
      if (message.kind === 'tags') this.dropLocally(message.tags);
      else if (message.kind === 'everything') this.dropEverythingLocally();
      else if (message.kind === 'generation') this.generation.adopt(message.generation);
    });
    this.generation = options.generation ?? new CacheGeneration(null, logger);
    this.generation.onChange(() => this.dropEverythingLocally());
    this.missed = l2 ? new MissedInvalidations(l2, bus, logger) : null;
    // Outages are tracked with both connections; without the bus (some tests) L2 alone is used as before.
    const outageTtlMs = options.outageTtlMs ?? DEFAULT_OUTAGE_TTL_MS;
    this.hedgeMs = options.hedgeMs ?? REDIS_HEDGE_MS;
    this.outage = l2 && bus ? new OutageClock(l2, bus, outageTtlMs, (part) => this.redisBack(part)) : null;
    // A failover may lose the newest tag versions (asynchronous replication): send the recent ones again.
    // (Optional calls: tests stand a bare object with only get and set in for L2.)
    l2?.onAvailabilityChange?.((usable) => !usable && this.replayRecent('breaker open'));
    l2?.onTopologyChange?.(() => this.replayRecent('cluster nodes changed'));
  }

  private replayRecent(why: string): void {
    const tags = this.recent.tags();
    if (tags.length === 0 || !this.missed) return;
    this.logger.info({ tags: tags.length, why }, 'recent invalidations replayed: a failover may have lost their tag versions');
    this.missed.remember(tags);
    if (this.l2?.usable) void this.missed.replay();
  }

  /** Since when this instance may have missed invalidations (ms epoch), null while Redis is fully reachable. */
  get outageStartedAt(): number | null {
    return this.outage?.startedAt ?? null;
  }

  /** Invalidations waiting for Redis: distinct tags, and whether "everything" is to be replayed. */
  get missedInvalidations(): { tags: number; everything: boolean } {
    return { tags: this.missed?.pendingTags ?? 0, everything: this.missed?.pendingEverything ?? false };
  }

  private redisBack(part: RedisPart): void {
    // L1 may hold entries invalidated elsewhere while this instance could not hear it.
    const dropped = this.l1.size;
    this.l1.clear();
    this.l1DropsAfterOutage += 1;
    this.logger.info({ part, dropped }, 'Redis reachable again: L1 dropped, it may hold entries invalidated meanwhile');
    if (part === 'commands') void this.missed?.replay();
  }

  /** May this request ask Redis now? Not while the breaker is open, nor after Redis failed it once. */
  private mayAskRedis(request: object | undefined): boolean {
    return this.l2 !== null && !this.l2.breaker.isOpen && this.generation.known && !(request && this.requestsRedisFailed.has(request));
  }

  /** After a Redis call of a request: if the breaker is open now, the request is done with Redis. */
  private noteRedisOutcome(request: object | undefined): void {
    if (request && this.l2?.breaker.isOpen) this.requestsRedisFailed.add(request);
  }

  /** An L1 entry, unless the outage rule says it may not be served any more (then it goes). */
  private readL1(key: string, now: number): CacheEntry | undefined {
    const entry = this.l1.get(key);
    if (!entry || !this.outage || this.outage.allowsServing(entry, now)) return entry;
    this.l1.delete(key);
    return undefined;
  }

  private capForOutage(entry: CacheEntry): CacheEntry {
    return this.outage ? this.outage.capped(entry) : entry;
  }

  private statsOf(field: string): FieldStats {
    let stats = this.stats.get(field);
    if (!stats) this.stats.set(field, (stats = { hits: 0, misses: 0, staleHits: 0, errors: 0 }));
    return stats;
  }

  /**
   * A fresh L1 entry of `key`, counted as a hit of `field`, or undefined (not in L1, or
   * stale: fetch then serves it and refreshes it). Synchronous, so a resolver whose value
   * is in memory answers without a promise and graphql-jit stays on its synchronous path.
   */
  freshFromL1<V>(key: string, field: string): FetchResult<V> | undefined {
    const now = Date.now();
    const entry = this.readL1(key, now);
    if (!entry || entry.freshUntil <= now) return undefined;
    this.statsOf(field).hits += 1;
    return { value: entry.value as V, outcome: outcomeOf(entry, 'L1', now) };
  }

  async fetch<V>(key: string, options: FetchOptions, compute: () => Promise<V> | V): Promise<FetchResult<V>> {
    const now = Date.now();
    const stats = this.statsOf(options.field);
    let tier: CacheTier = 'L1';
    let entry = this.readL1(key, now);
    let redisSlow = false;
    if (!entry && this.l2 && this.mayAskRedis(options.request)) {
      const read = await this.hedgedL2Read(key, options.request);
      redisSlow = read === TOO_SLOW;
      entry = read === TOO_SLOW ? undefined : read;
      tier = 'L2';
      if (entry && this.predatesInvalidation(entry)) entry = undefined;
      if (entry) this.l1.set(key, (entry = this.capForOutage(entry)));
      else {
        // A flight for this key may have finished (filling L1, its L2 write still under way)
        // while Redis answered: use its value rather than start a second computation.
        entry = this.readL1(key, Date.now());
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
      pending = this.computeAndStore(key, options, compute, redisSlow).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending as Promise<FetchResult<unknown>>);
    }
    return pending;
  }

  private async computeAndStore<V>(
    key: string,
    options: FetchOptions,
    compute: () => Promise<V> | V,
    redisSlow = false,
  ): Promise<FetchResult<V>> {
    const token = randomUUID();
    // The lock is awaited (one round trip): it decides whether to wait for another instance's
    // value. Not when Redis was just too slow to read: the lock would wait as long.
    // With it, the versions of the entry's tags (its stamp): read before the value is computed.
    const lockKey = this.l2Key(key);
    const started = Date.now();
    const tags = options.tags();
    const [locked, versions] =
      this.l2 && !redisSlow && this.mayAskRedis(options.request)
        ? await Promise.all([this.l2.tryLock(lockKey, token, LOCK_TTL_MS), this.l2.versions(tags)])
        : [null, null];
    this.noteRedisOutcome(options.request);
    try {
      if (locked === false && this.l2) {
        // Another instance is computing this key: wait (bounded) for its value rather than asking Postgres too.
        const waited = await this.waitForL2(key, options.request);
        if (waited) {
          const entry = this.capForOutage(waited);
          this.l1.set(key, entry);
          return { value: entry.value as V, outcome: outcomeOf(entry, 'L2', Date.now()) };
        }
      }
      const value = await compute();
      const entry = this.store(key, options, tags, value, started, versions);
      return { value, outcome: outcomeOf(entry, 'MISS', Date.now()) };
    } finally {
      if (locked) void this.l2?.unlock(lockKey, token);
    }
  }

  /**
   * An L2 read that stops waiting after REDIS_HEDGE_MS: a healthy Redis answers in well under
   * a millisecond, so a read still pending then means Redis is hung or drowning, and the
   * caller computes the value instead of waiting up to the command timeout (a frozen Redis
   * would otherwise add 250 ms to every miss). The read itself runs on: its outcome still
   * feeds the breaker (a timeout opens it for everyone), and a late answer is dropped.
   */
  private hedgedL2Read(key: string, request: object | undefined): Promise<CacheEntry | undefined | typeof TOO_SLOW> {
    return withinHedge(
      this.l2!.get(this.l2Key(key)).finally(() => this.noteRedisOutcome(request)),
      this.hedgeMs,
    );
  }

  /** Polls L2 for another instance's value; gives up at the deadline, or at once when Redis fails. */
  private async waitForL2(key: string, request: object | undefined): Promise<CacheEntry | undefined> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    while (Date.now() < deadline && this.mayAskRedis(request)) {
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
      const entry = await this.l2?.get(this.l2Key(key));
      this.noteRedisOutcome(request);
      if (entry && entry.freshUntil > Date.now() && !this.predatesInvalidation(entry)) return entry;
    }
    return undefined;
  }

  /**
   * Writes an entry to both tiers, unless a write invalidated one of its tags after
   * `startedAt` (the value may predate it). Returns the entry either way, so callers
   * know its freshness; `stored` says whether it was kept. `versions`: the tag versions
   * read before the value was computed; without them (Redis not reached) L1 only.
   */
  private store(
    key: string,
    options: Omit<FetchOptions, 'field' | 'tags'>,
    tags: string[],
    value: unknown,
    startedAt: number,
    versions: TagVersions | null,
  ): CacheEntry & { stored: boolean } {
    const now = Date.now();
    const entry = this.capForOutage({
      value,
      createdAt: now,
      freshUntil: now + options.ttlSeconds * 1000,
      staleUntil: now + (options.ttlSeconds + options.swrSeconds) * 1000,
      tags,
      ...(versions ? { versions } : {}),
    });
    if (this.wasInvalidatedSince(tags, startedAt)) return { ...entry, stored: false };
    this.l1.set(key, entry);
    // Not awaited (RedisStore.set never rejects): an L2 write never adds to a request's latency.
    this.writeL2(key, entry);
    return { ...entry, stored: true };
  }

  wasInvalidatedSince(tags: readonly string[], since: number): boolean {
    return this.everythingInvalidatedAt >= since || tags.some((tag) => (this.invalidatedAt.get(tag) ?? 0) >= since);
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
    const local = this.readL1(key, now);
    if (local && local.staleUntil > now) return { entry: local, tier: 'L1' };
    if (!this.l2 || this.l2.breaker.isOpen || !this.generation.known) return undefined;
    const remote = await this.l2.get(this.l2Key(key));
    if (!remote || remote.staleUntil <= now || this.predatesInvalidation(remote)) return undefined;
    const entry = this.capForOutage(remote);
    this.l1.set(key, entry);
    return { entry, tier: 'L2' };
  }

  /** Stores a value computed elsewhere (an operation entry) under the same rules as fields. */
  put(
    key: string,
    value: unknown,
    options: { freshUntil: number; staleUntil: number; tags: string[]; startedAt: number; versions?: TagVersions | null },
  ): boolean {
    if (this.wasInvalidatedSince(options.tags, options.startedAt)) return false;
    const entry = this.capForOutage({
      value,
      createdAt: Date.now(),
      freshUntil: options.freshUntil,
      staleUntil: options.staleUntil,
      tags: options.tags,
      ...(options.versions ? { versions: options.versions } : {}),
    });
    this.l1.set(key, entry);
    // Not awaited, as in store().
    this.writeL2(key, entry);
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
    const tags = options.tags();
    let versions: TagVersions | null = null;
    // The stamp first (as for a miss), then the computation.
    Promise.resolve(this.l2 && this.mayAskRedis(undefined) ? this.l2.versions(tags) : null)
      .then((read) => {
        versions = read;
        return compute();
      })
      .then(
        (value) => this.store(key, options, tags, value, started, versions),
        (error: unknown) => {
          // stale-if-error: keep serving the old value for another stale window and say why in the log.
          this.statsOf(options.field).errors += 1;
          this.logger.error({ err: error, key, field: options.field }, 'cache refresh failed; serving the stale value');
          const extended = { ...stale, staleUntil: Date.now() + Math.max(options.swrSeconds, 1) * 1000 };
          this.l1.set(key, this.capForOutage(extended));
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

  /** Returns the entries L1 held. */
  private dropEverythingLocally(): number {
    const dropped = this.l1.size;
    this.everythingInvalidatedAt = Date.now();
    this.l1.clear();
    return dropped;
  }

  /** L1 keys carry no generation (L1 is dropped whenever it changes); L2 keys do. */
  private l2Key(key: string): string {
    return keyInGeneration(this.generation.current, key);
  }

  /**
   * Only while the generation is the cluster's (an entry written under a stale one would be
   * lost, or worse, found), and only stamped: an entry without tag versions is kept in L1.
   */
  private writeL2(key: string, entry: CacheEntry): void {
    if (this.generation.known && entry.versions) void this.l2?.set(this.l2Key(key), entry);
  }

  /** The cache generation (Metrics.cache.generation). */
  get currentGeneration(): number {
    return this.generation.current;
  }

  /**
   * invalidateCache(all: true): the next generation (O(1): L2 entries of older ones are
   * never read again and expire by TTL), all of L1 dropped here and, over pub/sub, on every
   * instance. The entries dropped from this L1, or null when Redis could not be reached
   * (nothing changed: a bump other instances cannot learn of would split the cluster).
   */
  async clearAll(): Promise<{ dropped: number; generation: number } | null> {
    const generation = await this.generation.bump();
    if (generation === null) return null;
    const dropped = this.dropEverythingLocally();
    // Instances that miss the message still pick the number up within one generation poll (cache-generation.ts).
    if (this.bus && !(await this.bus.send({ kind: 'generation', generation })))
      this.logger.error(
        { generation },
        'cache generation bumped but not announced: other instances adopt it at their next poll (a few seconds)',
      );
    return { dropped, generation };
  }

  /**
   * Drops every entry with one of the tags in L1, in L2 and (pub/sub) in every other
   * instance's L1. What cannot reach Redis (breaker open, or failing now) is remembered
   * and replayed once Redis is usable: the L2 entries and the other instances' L1 do not
   * keep what was dropped beyond the outage.
   */
  async invalidate(tags: readonly string[]): Promise<number> {
    const unique = [...new Set(tags)];
    if (unique.length === 0) return 0;
    const removed = new Set(this.dropLocally(unique));
    if (!this.l2) return removed.size;
    if (this.l2.breaker.isOpen) {
      this.missed?.remember(unique);
      return removed.size;
    }
    // The L2 delete and the publish leave together on the one cache connection: Redis runs
    // them in that order (the entries are gone before any instance hears of it). The write
    // waits for them at most REDIS_HEDGE_MS: a healthy Redis answers well within it, and a hung
    // one must not hold the write for a command timeout. Either way the writer's next read
    // sees its write: its L1 is dropped above, and its next L2 read leaves on the same
    // connection after the delete, so Redis answers it only once the entries are gone. If the
    // delete or the publish fails, the tags are remembered and replayed when Redis answers.
    const settled = Promise.all([
      this.l2.invalidate(unique),
      this.bus ? this.bus.send({ kind: 'tags', tags: unique }) : Promise.resolve(true),
    ]).then(([deleted, published]) => {
      if (deleted !== null) this.recent.note(unique);
      if (deleted === null || !published) this.missed?.remember(unique);
      else if (this.missed && !this.missed.isEmpty) void this.missed.replay();
      return deleted;
    });
    const deleted = await withinHedge(settled, this.hedgeMs);
    // Entries Redis had under these tags (unknown when it was too slow to say: then only L1's).
    if (deleted !== TOO_SLOW) for (const key of deleted ?? []) removed.add(keyWithoutGeneration(key));
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
