import type { CacheEntry } from './cache.js';
import type { InvalidationBus } from './invalidation-bus.js';
import type { RedisStore } from './redis-store.js';

export type RedisPart = 'commands' | 'subscriber';

/**
 * Since when this instance may have missed an invalidation: its cache connection cannot
 * reach Redis (the breaker is open: its own invalidations are neither applied to L2 nor
 * published), or its subscriber is not subscribed (other instances' invalidations do not
 * reach it). `startedAt` is null while both work. A lost cache connection is dated back
 * to Redis's last answer on it, so an outage noticed late (a hung Redis is noticed by a
 * timeout) still starts when Redis stopped answering.
 *
 * During an outage an entry is served at most `ttlMs` (CACHE_OUTAGE_TTL_MS) past its
 * creation or the outage's start, whichever is later: so an entry invalidated elsewhere
 * meanwhile is served at most `ttlMs` after the invalidation.
 */
export class OutageClock {
  private commandsLostAt: number | null;
  private subscriberLostAt: number | null;

  constructor(
    l2: RedisStore,
    bus: InvalidationBus,
    private readonly ttlMs: number,
    onBack: (part: RedisPart) => void,
  ) {
    const now = Date.now();
    this.commandsLostAt = l2.usable ? null : now;
    this.subscriberLostAt = bus.listening ? null : now;
    l2.onAvailabilityChange((usable) => {
      if (!usable) {
        this.commandsLostAt ??= Math.min(Date.now(), l2.lastAnsweredAt);
        return;
      }
      this.commandsLostAt = null;
      onBack('commands');
    });
    bus.onListeningChange((listening) => {
      if (!listening) {
        this.subscriberLostAt ??= Date.now();
        return;
      }
      this.subscriberLostAt = null;
      onBack('subscriber');
    });
  }

  get startedAt(): number | null {
    if (this.commandsLostAt === null) return this.subscriberLostAt;
    if (this.subscriberLostAt === null) return this.commandsLostAt;
    return Math.min(this.commandsLostAt, this.subscriberLostAt);
  }

  /** May this entry still be served now? Always outside an outage. */
  allowsServing(entry: CacheEntry, now: number): boolean {
    const since = this.startedAt;
    return since === null || now < Math.max(entry.createdAt, since) + this.ttlMs;
  }

  /** An entry written during an outage lives at most ttlMs, fresh and stale (and so do the operation entries built from it). */
  capped(entry: CacheEntry): CacheEntry {
    if (this.startedAt === null) return entry;
    const limit = Date.now() + this.ttlMs;
    if (entry.staleUntil <= limit) return entry;
    return { ...entry, freshUntil: Math.min(entry.freshUntil, limit), staleUntil: limit };
  }
}
