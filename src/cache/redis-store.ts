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

/** Consecutive failures with an answer from Redis (error replies) that open the breaker. */
const REPLY_FAILURE_THRESHOLD = 3;
/** Breaker cooldown: an open breaker is probed again after this long (ms). */
const BREAKER_COOLDOWN_MS = 1_000;
/** With no answer from Redis for this long, a heartbeat asks it (ms): a hung Redis is noticed even by an idle instance. */
const HEARTBEAT_AFTER_MS = 1_000;
/** How often the store looks whether a heartbeat or a probe is due (ms). */
const WATCH_INTERVAL_MS = 250;
/** The probe and heartbeat command writes this key: a Redis that answers PING but refuses writes (OOM, read-only) is not usable. */
const PROBE_KEY = 'probe';
/** What a command waiting on Redis resolves to when the breaker opened meanwhile. */
const RELEASED: unique symbol = Symbol('released by the breaker');

/**
 * Errors of commands Redis never answered: a timeout, or the connection lost or not
 * there. They open the breaker at once: a timeout cost its caller a whole command
 * timeout and the next caller would pay it again; a lost connection is certain. Error
 * replies (OOM, a failing script, a wrong type) keep the threshold: Redis answered at
 * once, so they cost no waiting, and one bad key or script must not turn L2 off for all.
 */
function redisDidNotAnswer(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError' || error.name === 'AbortError') return true;
  return /^(Command timed out|Socket timeout|Connection is closed|Stream isn't writeable)/.test(error.message);
}

/** Runs Redis commands through the store's breaker: what the invalidation bus publishes with. */
export interface RedisCommandGate {
  attempt<T>(what: string, run: () => Promise<T>, fallback: T): Promise<T>;
}

/**
 * L2: entries as JSON strings with a TTL that includes the stale window; tags as Redis
 * sets with expiry (no KEYS, ever). Every command goes through a circuit breaker: an
 * error counts as a miss; a command Redis did not answer (timeout, connection lost)
 * opens it at once, and every pending command is released with its fallback, so the
 * first timeout is the last wait. While open nothing is sent; the store probes Redis
 * itself (never a caller's command) after the cooldown, and at once when the connection
 * is ready again.
 */
export class RedisStore implements CacheStore, RedisCommandGate {
  readonly tier = 'L2' as const;
  readonly breaker: CircuitBreaker;
  errors = 0;
  /** ms epoch of the last answer from Redis on this connection: when an outage may have begun. */
  lastAnsweredAt = Date.now();
  private readonly availabilityListeners = new Set<(usable: boolean) => void>();
  /** Commands waiting for Redis: released with their fallback when the breaker opens. */
  private readonly waiting = new Set<() => void>();
  private heartbeatInFlight = false;
  private readonly watchTimer: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {
    // Not connected yet: unusable until the first probe answers (no opening counted).
    this.breaker = new CircuitBreaker(
      REPLY_FAILURE_THRESHOLD,
      BREAKER_COOLDOWN_MS,
      (open) => this.breakerChanged(open),
      redis.status !== 'ready',
    );
    redis.on('close', () => {
      if (this.closed || this.breaker.isOpen) return;
      this.logger.warn({ lastAnsweredAt: new Date(this.lastAnsweredAt).toISOString() }, 'Redis cache connection lost');
      this.breaker.trip();
    });
    redis.on('ready', () => {
      // The handshake was answered: Redis is back. Probe now rather than after the cooldown.
      if (!this.closed && this.breaker.tryProbe(true)) void this.probe();
    });
    this.watchTimer = setInterval(() => this.watch(), WATCH_INTERVAL_MS).unref();
  }

  get connected(): boolean {
    return this.redis.status === 'ready';
  }

  get degraded(): boolean {
    return this.breaker.isOpen || !this.connected;
  }

  /** Commands are sent (the breaker is closed). */
  get usable(): boolean {
    return !this.breaker.isOpen;
  }

  /** Called with false when the breaker opens and true when it closes (Redis usable again). */
  onAvailabilityChange(listener: (usable: boolean) => void): void {
    this.availabilityListeners.add(listener);
  }

  private breakerChanged(open: boolean): void {
    if (open) {
      for (const release of this.waiting) release();
      this.waiting.clear();
      this.logger.warn({ openings: this.breaker.openings }, 'Redis cache breaker open: serving from L1 only');
    } else {
      this.logger.info('Redis cache breaker closed: L2 in use');
    }
    for (const listener of this.availabilityListeners) listener(!open);
  }

  /**
   * One command through the breaker: refused (fallback) while open; an error is a miss
   * (logged, counted); released with the fallback as soon as the breaker opens, whoever
   * opened it, so a caller never waits past the first timeout of anyone.
   */
  async attempt<T>(what: string, run: () => Promise<T>, fallback: T): Promise<T> {
    if (this.breaker.isOpen || this.closed) return fallback;
    let release = () => {};
    const released = new Promise<typeof RELEASED>((resolve) => (release = () => resolve(RELEASED)));
    this.waiting.add(release);
    try {
      const result = await Promise.race([run(), released]);
      if (result === RELEASED) return fallback;
      this.lastAnsweredAt = Date.now();
      this.breaker.success();
      return result;
    } catch (error) {
      this.errors += 1;
      if (redisDidNotAnswer(error)) this.breaker.trip();
      else this.breaker.failure();
      this.logger.debug({ err: error, what }, 'Redis cache command failed; treated as a miss');
      return fallback;
    } finally {
      this.waiting.delete(release);
    }
  }

  /** Heartbeat while closed (a hung Redis is noticed without traffic), probe while open. */
  private watch(): void {
    if (this.closed) return;
    if (this.breaker.isOpen) {
      // Not connected: the 'ready' event probes as soon as the connection is back.
      if (this.connected && this.breaker.tryProbe()) void this.probe();
      return;
    }
    if (this.heartbeatInFlight || Date.now() - this.lastAnsweredAt < HEARTBEAT_AFTER_MS) return;
    this.heartbeatInFlight = true;
    void this.attempt('heartbeat', () => this.writeProbeKey(), undefined).finally(() => (this.heartbeatInFlight = false));
  }

  private async writeProbeKey(): Promise<void> {
    await this.redis.set(this.prefix + PROBE_KEY, String(Date.now()), 'PX', 10_000);
  }

  /** The half-open probe, outside every request: a write that must be answered within the command timeout. */
  private async probe(): Promise<void> {
    try {
      await this.writeProbeKey();
      this.lastAnsweredAt = Date.now();
      this.breaker.success();
    } catch (error) {
      this.logger.debug({ err: error }, 'Redis cache probe failed; the breaker stays open');
      this.breaker.failure();
    }
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    const text = await this.attempt('get', () => this.redis.get(this.prefix + 'c:' + key), null);
    if (!text) return undefined;
    let entry: CacheEntry;
    try {
      entry = JSON.parse(text) as CacheEntry;
    } catch (error) {
      // A bad value is not a Redis failure: a miss, without touching the breaker.
      this.logger.error({ err: error, key }, 'unreadable L2 cache entry; treated as a miss');
      return undefined;
    }
    return entry.staleUntil > Date.now() ? entry : undefined;
  }

  /** Never rejects; callers do not await it (an L2 write never adds to a request's latency). */
  set(key: string, entry: CacheEntry): Promise<void> {
    return this.attempt(
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

  /** Deletes the entries of the tags and the tag sets; the keys removed, or null when Redis was not reached. */
  async invalidate(tags: readonly string[]): Promise<string[] | null> {
    if (tags.length === 0) return [];
    const removed = await this.attempt(
      'invalidate',
      () => this.redis.eval(INVALIDATE_SCRIPT, tags.length, ...tags.map((t) => this.prefix + 't:' + t)) as Promise<string[]>,
      null,
    );
    if (removed === null) return null;
    const cut = this.prefix.length + 2;
    return removed.map((key) => key.slice(cut));
  }

  /**
   * Deletes every entry and tag set under the prefix (SCAN, never KEYS): the replay of
   * "invalidate everything" when more invalidations were missed than could be remembered.
   * False when Redis failed part way.
   */
  async invalidateEverything(): Promise<boolean> {
    for (const family of ['c:', 't:']) {
      let cursor = '0';
      do {
        const page = await this.attempt('scan', () => this.redis.scan(cursor, 'MATCH', `${this.prefix}${family}*`, 'COUNT', 1000), null);
        if (page === null) return false;
        const [next, keys] = page;
        if (keys.length > 0 && (await this.attempt('unlink', () => this.redis.unlink(...keys), null)) === null) return false;
        cursor = next;
      } while (cursor !== '0');
    }
    return true;
  }

  /**
   * INFO's default sections (server, clients, memory, stats, keyspace…) as Redis prints them,
   * or null when Redis is not reached: one command through the breaker, as the cache's own.
   */
  serverInfo(): Promise<string | null> {
    return this.attempt('info', () => this.redis.info(), null);
  }

  /** A short cross-instance lock so one instance computes a missing key while the others wait for it. */
  async tryLock(key: string, token: string, ttlMs: number): Promise<boolean | null> {
    return this.attempt('lock', async () => (await this.redis.set(this.prefix + 'l:' + key, token, 'PX', ttlMs, 'NX')) === 'OK', null);
  }

  async unlock(key: string, token: string): Promise<void> {
    await this.attempt(
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

  /** Stops the heartbeat and ignores the connection's events (the connection is closed by its owner). */
  close(): void {
    this.closed = true;
    clearInterval(this.watchTimer);
  }
}
