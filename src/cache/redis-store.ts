import type { Logger } from '../logger.js';
import { isCluster, masterNodes, type RedisClient } from '../redis.js';
import type { CacheEntry, CacheStore } from './cache.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { l2Keys, type L2Keys } from './l2-keys.js';
import {
  ABSENT_VERSION,
  encodeStamped,
  INVALIDATE_ALL_SCRIPT,
  INVALIDATE_TAG_SCRIPT,
  newVersion,
  splitStamped,
  VERSION_TTL_MS,
  WRITE_IF_CURRENT_SCRIPT,
  type TagVersions,
} from './tag-versions.js';

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
 * L2: entries as JSON strings with a TTL that includes the stale window, stamped with the
 * versions of their tags; tags as Redis sets with expiry (no KEYS, ever); a single server
 * or a Redis Cluster (key layout: src/cache/l2-keys.ts). Every command goes through a circuit breaker: an
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

  /** The key layout of this connection's mode (src/cache/l2-keys.ts). */
  readonly keys: L2Keys;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {
    this.keys = l2Keys(prefix, isCluster(redis));
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

  /**
   * Called when a cluster's node list changes (a failover promoted a replica, a node left or
   * joined); never for a single server.
   */
  onTopologyChange(listener: () => void): void {
    if (!isCluster(this.redis)) return;
    this.redis.on('+node', () => !this.closed && listener());
    this.redis.on('-node', () => !this.closed && listener());
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

  /**
   * The entry, when its stamp is current: every tag version it was computed under is still
   * the tag's version (src/cache/tag-versions.ts). Single node: a GET (the write checked the
   * stamp atomically, and an invalidation after it deletes the entry). Cluster: the entry,
   * then its versions (per-key GETs, each to its tag's shard, in parallel).
   */
  async get(key: string): Promise<CacheEntry | undefined> {
    const text = await this.attempt('get', () => this.readCurrent(this.keys.entry(key)), null);
    if (!text) return undefined;
    let entry: CacheEntry;
    try {
      const stamped = splitStamped(text);
      if (!stamped) return undefined;
      entry = JSON.parse(stamped.entryJson) as CacheEntry;
      entry.versions = stamped.versions;
    } catch (error) {
      // A bad value is not a Redis failure: a miss, without touching the breaker.
      this.logger.error({ err: error, key }, 'unreadable L2 cache entry; treated as a miss');
      return undefined;
    }
    return entry.staleUntil > Date.now() ? entry : undefined;
  }

  private async readCurrent(fullKey: string): Promise<string | null> {
    const text = await this.redis.get(fullKey);
    if (!isCluster(this.redis)) return text;
    const stamped = text ? splitStamped(text) : undefined;
    if (!stamped) return null;
    const tags = Object.keys(stamped.versions);
    if (tags.length === 0) return text;
    const current = await this.readVersions(tags);
    return tags.every((tag) => current[tag] === stamped.versions[tag]) ? text : null;
  }

  /** Current versions of the tags: one GET each, sent together (a cluster routes each to its tag's shard). */
  private async readVersions(tags: readonly string[]): Promise<TagVersions> {
    const values = await Promise.all(tags.map((tag) => this.redis.get(this.keys.tagVersion(tag))));
    const versions: TagVersions = {};
    tags.forEach((tag, i) => (versions[tag] = values[i] ?? ABSENT_VERSION));
    return versions;
  }

  /**
   * The versions of the tags now, or null when Redis was not reached: read before a value
   * is computed, stored with it (set), checked on every L2 read (get).
   */
  versions(tags: readonly string[]): Promise<TagVersions | null> {
    if (tags.length === 0) return Promise.resolve({});
    return this.attempt('versions', () => this.readVersions([...new Set(tags)]), null);
  }

  /**
   * Never rejects; callers do not await it (an L2 write never adds to a request's latency).
   * `versions`: the tag versions read before the value was computed (its stamp). Single
   * node: one script writes the entry and its tag-set memberships only if the stamp is still
   * current. Cluster: the entry key and each tag's set are separate commands (other slots):
   * the set is only what invalidate deletes eagerly, the stamp (checked on read) is what
   * keeps a late write from being served.
   */
  set(key: string, entry: CacheEntry, versions: TagVersions = entry.versions ?? {}): Promise<void> {
    return this.attempt(
      'set',
      async () => {
        // Never outlive the versions it was stamped with (see VERSION_TTL_MS).
        const ttl = Math.min(Math.max(1, entry.staleUntil - Date.now()), VERSION_TTL_MS / 2);
        const fullKey = this.keys.entry(key);
        const value = encodeStamped(entry, versions);
        if (!isCluster(this.redis)) {
          const tags = entry.tags;
          const keys = [fullKey, ...tags.map((t) => this.keys.tagSet(t)), ...tags.map((t) => this.keys.tagVersion(t))];
          // EVAL, not EVALSHA: a first EVALSHA's NOSCRIPT retry would land after later commands
          // of this connection, and callers rely on its order (Redis caches the compiled script anyway).
          await this.redis.eval(
            WRITE_IF_CURRENT_SCRIPT,
            keys.length,
            ...keys,
            value,
            ttl,
            ttl + 1_000,
            ...tags.map((t) => versions[t] ?? '*'),
          );
          return;
        }
        const writes: Array<Promise<unknown>> = [this.redis.set(fullKey, value, 'PX', ttl)];
        for (const tag of entry.tags) {
          const tagKey = this.keys.tagSet(tag);
          // A tag set lives as long as its longest-lived member: NX sets the first expiry, GT only extends it.
          writes.push(
            this.redis.sadd(tagKey, fullKey),
            this.redis.pexpire(tagKey, ttl + 1_000, 'NX'),
            this.redis.pexpire(tagKey, ttl + 1_000, 'GT'),
          );
        }
        await Promise.all(writes);
      },
      undefined,
    );
  }

  /**
   * New versions for the tags (what makes every entry stamped before unservable), then their
   * entries and sets deleted (memory, and the count). The keys removed (as callers name
   * them), or null when Redis was not reached. Single node: one script. Cluster: one script
   * per tag on its slot, then each member deleted on its own slot; no script crosses slots.
   */
  async invalidate(tags: readonly string[]): Promise<string[] | null> {
    if (tags.length === 0) return [];
    const version = newVersion();
    const removed = await this.attempt(
      'invalidate',
      async () => {
        if (!isCluster(this.redis)) {
          const keys = [...tags.map((t) => this.keys.tagSet(t)), ...tags.map((t) => this.keys.tagVersion(t))];
          return (await this.redis.eval(INVALIDATE_ALL_SCRIPT, keys.length, ...keys, version, VERSION_TTL_MS)) as string[];
        }
        const cluster = this.redis;
        const memberLists = await Promise.all(
          tags.map(
            (tag) =>
              cluster.eval(INVALIDATE_TAG_SCRIPT, 2, this.keys.tagSet(tag), this.keys.tagVersion(tag), version, VERSION_TTL_MS) as Promise<
                string[]
              >,
          ),
        );
        const members = [...new Set(memberLists.flat())];
        const existed = await Promise.all(members.map((member) => cluster.unlink(member)));
        return members.filter((_, i) => existed[i] === 1);
      },
      null,
    );
    if (removed === null) return null;
    return removed.map((key) => this.keys.keyOfEntry(key)).filter((key): key is string => key !== undefined);
  }

  /** SCAN over every master (a cluster's keyspace is split among them); each page's keys removed one by one (their own slots). */
  private async scanAndUnlink(pattern: string, through: 'breaker' | 'direct'): Promise<boolean> {
    for (const node of masterNodes(this.redis)) {
      let cursor = '0';
      do {
        const scan = () => node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        const page = through === 'breaker' ? await this.attempt('scan', scan, null) : await scan();
        if (page === null) return false;
        const [next, keys] = page;
        if (keys.length > 0) {
          const unlink = () => Promise.all(keys.map((key) => this.redis.unlink(key)));
          if (through === 'breaker' && (await this.attempt('unlink', unlink, null)) === null) return false;
          if (through === 'direct') await unlink();
        }
        cursor = next;
      } while (cursor !== '0');
    }
    return true;
  }

  /**
   * Deletes every entry and tag set under the prefix (SCAN, never KEYS): the replay of
   * "invalidate everything" when more invalidations were missed than could be remembered.
   * False when Redis failed part way.
   */
  async invalidateEverything(): Promise<boolean> {
    for (const family of ['c:', 't:']) {
      if (!(await this.scanAndUnlink(`${this.prefix}${family}*`, 'breaker'))) return false;
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

  /** A short cross-instance lock so one instance computes a missing key while the others wait for it (on the entry's slot). */
  async tryLock(key: string, token: string, ttlMs: number): Promise<boolean | null> {
    return this.attempt('lock', async () => (await this.redis.set(this.keys.lock(key), token, 'PX', ttlMs, 'NX')) === 'OK', null);
  }

  async unlock(key: string, token: string): Promise<void> {
    await this.attempt('unlock', async () => void (await this.redis.eval(RELEASE_LOCK_SCRIPT, 1, this.keys.lock(key), token)), undefined);
  }

  async clear(): Promise<void> {
    // Only used by tests on a private prefix; SCAN (never KEYS) over that prefix, on every master.
    await this.scanAndUnlink(`${this.prefix}*`, 'direct');
  }

  /** Stops the heartbeat and ignores the connection's events (the connection is closed by its owner). */
  close(): void {
    this.closed = true;
    clearInterval(this.watchTimer);
  }
}
