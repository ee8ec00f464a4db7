import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { CacheEntry, CacheStore } from './cache.js';
import { CircuitBreaker } from './circuit-breaker.js';

/** Removes the members of every tag set and the sets themselves; returns the keys that existed. */
const INVALIDATE_SCRIPT = `
local removed = {}
for i, tagKey in ipairs(KEYS) do
  local members = redis.call('SMEMBERS', tagKey)
  for _, key in ipairs(members) do
    if redis.call('DEL', key) == 1 then table.insert(removed, key) end
  end
  redis.call('DEL', tagKey)
end
return removed`;

const RELEASE_LOCK_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * L2: entries as JSON strings with a TTL that includes the stale window; tags as Redis
 * sets with expiry (no KEYS, ever). Every command goes through a circuit breaker: an
 * error counts as a miss, and after repeated errors Redis is skipped until a probe works.
 */
export class RedisStore implements CacheStore {
  readonly tier = 'L2' as const;
  readonly breaker: CircuitBreaker;
  errors = 0;
  private lastErrorAt = 0;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {
    this.breaker = new CircuitBreaker(3, 1_000, (open) =>
      open ? logger.warn('Redis cache breaker open: serving from L1 only') : logger.info('Redis cache breaker closed: L2 in use again'),
    );
  }

  /** True within a second of a failed command. */
  failedRecently(): boolean {
    return Date.now() - this.lastErrorAt < 1_000;
  }

  get connected(): boolean {
    return this.redis.status === 'ready';
  }

  get degraded(): boolean {
    return this.breaker.isOpen || !this.connected;
  }

  private async guarded<T>(what: string, run: () => Promise<T>, fallback: T): Promise<T> {
    if (!this.breaker.allow()) return fallback;
    try {
      const result = await run();
      this.breaker.success();
      return result;
    } catch (error) {
      this.errors += 1;
      this.lastErrorAt = Date.now();
      this.breaker.failure();
      this.logger.debug({ err: error, what }, 'Redis cache command failed; treated as a miss');
      return fallback;
    }
  }

  get(key: string): Promise<CacheEntry | undefined> {
    return this.guarded(
      'get',
      async () => {
        const text = await this.redis.get(this.prefix + 'c:' + key);
        if (!text) return undefined;
        const entry = JSON.parse(text) as CacheEntry;
        return entry.staleUntil > Date.now() ? entry : undefined;
      },
      undefined,
    );
  }

  set(key: string, entry: CacheEntry): Promise<void> {
    return this.guarded(
      'set',
      async () => {
        const ttl = Math.max(1, entry.staleUntil - Date.now());
        const fullKey = this.prefix + 'c:' + key;
        const multi = this.redis.multi().set(fullKey, JSON.stringify(entry), 'PX', ttl);
        for (const tag of entry.tags) {
          const tagKey = this.prefix + 't:' + tag;
          // A tag set lives as long as its longest-lived member: NX sets the first expiry, GT only extends it.
          multi
            .sadd(tagKey, fullKey)
            .pexpire(tagKey, ttl + 1_000, 'NX')
            .pexpire(tagKey, ttl + 1_000, 'GT');
        }
        await multi.exec();
      },
      undefined,
    );
  }

  async invalidate(tags: readonly string[]): Promise<string[]> {
    if (tags.length === 0) return [];
    const removed = await this.guarded(
      'invalidate',
      () => this.redis.eval(INVALIDATE_SCRIPT, tags.length, ...tags.map((t) => this.prefix + 't:' + t)) as Promise<string[]>,
      null,
    );
    if (removed === null) {
      // Could not reach Redis: its entries for these tags may outlive their truth. Their TTL bounds that.
      this.logger.error({ tags }, 'Redis invalidation failed; L2 entries for these tags expire by TTL');
      return [];
    }
    const cut = this.prefix.length + 2;
    return removed.map((key) => key.slice(cut));
  }

  /** A short cross-instance lock so one instance computes a missing key while the others wait for it. */
  async tryLock(key: string, token: string, ttlMs: number): Promise<boolean | null> {
    return this.guarded('lock', async () => (await this.redis.set(this.prefix + 'l:' + key, token, 'PX', ttlMs, 'NX')) === 'OK', null);
  }

  async unlock(key: string, token: string): Promise<void> {
    await this.guarded(
      'unlock',
      async () => void (await this.redis.eval(RELEASE_LOCK_SCRIPT, 1, this.prefix + 'l:' + key, token)),
      undefined,
    );
  }

  async clear(): Promise<void> {
    // Only used by tests on a private prefix; SCAN (never KEYS) over that prefix.
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await this.redis.del(...keys);
    } while (cursor !== '0');
  }
}
