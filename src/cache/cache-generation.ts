import type { RedisClient } from '../redis.js';
import type { Logger } from '../logger.js';
import type { InvalidationBus } from './invalidation-bus.js';
import type { RedisStore } from './redis-store.js';

/**
 * Reads the stored generation, raising it to this instance's when Redis has a lower one
 * (it restarted empty, or the key was deleted): a generation never goes back, so an entry
 * orphaned by a bump can never become reachable again.
 */
const READ_SCRIPT = `
local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
local ours = tonumber(ARGV[1])
if stored < ours then
  redis.call('SET', KEYS[1], ARGV[1])
  return ours
end
return stored`;

/** INCR, from at least this instance's generation (the same never-back rule as READ_SCRIPT). */
const BUMP_SCRIPT = `
local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
local bumped = math.max(stored, tonumber(ARGV[1])) + 1
redis.call('SET', KEYS[1], bumped)
return bumped`;

/** The L2 key of `key` in a generation; generation 0 adds nothing, so keys stay as they were until the first clear-all. */
export function keyInGeneration(generation: number, key: string): string {
  return generation === 0 ? key : `g${generation}:${key}`;
}

const GENERATION_PART = /^g\d+:/;
/** How often each instance re-reads the generation even when no message came (ms). */
const GENERATION_POLL_MS = 5_000;

/** The inverse of keyInGeneration: the key as L1 knows it. */
export function keyWithoutGeneration(key: string): string {
  return key.replace(GENERATION_PART, '');
}

export interface RemoteGeneration {
  redis: RedisClient;
  /** Commands go through the cache's breaker, and its availability says when to read the generation again. */
  store: RedisStore;
  /** `${REDIS_PREFIX}generation`: one integer, no expiry. */
  key: string;
  bus: InvalidationBus | null;
}

/**
 * The cache generation: part of every L2 key, so invalidateCache(all: true) is one INCR.
 * Entries of older generations are never read again and expire by their TTL; no SCAN.
 *
 * With Redis it is kept there: read at start and every time Redis becomes usable again (the
 * cache connection's breaker closes, or pub/sub re-subscribes: a bump may have been missed
 * meanwhile); other instances learn a bump from a `generation` message. Until a read has
 * succeeded since the last loss of Redis, `known` is false and the tiered cache leaves L2
 * alone: it could otherwise read entries a bump orphaned. Without Redis it lives in memory.
 */
export class CacheGeneration {
  private value = 0;
  private confirmed: boolean;
  private reading: Promise<boolean> | null = null;
  /** Losses of Redis or of pub/sub so far: a read that overlapped one may predate a bump made during it. */
  private losses = 0;
  private readonly poll: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<(generation: number) => void>();

  constructor(
    private readonly remote: RemoteGeneration | null,
    private readonly logger: Logger,
  ) {
    this.confirmed = remote === null;
    if (!remote) return;
    const lost = () => {
      this.losses += 1;
      this.confirmed = false;
    };
    remote.store.onAvailabilityChange((usable) => (usable ? void this.read() : lost()));
    // Without the subscription a bump's message would be missed: L2 waits until a read after re-subscribing.
    remote.bus?.onListeningChange((listening) => (listening ? void this.read() : lost()));
    // A bump whose message was lost while both connections stayed up (the bumping instance could not
    // publish) is still picked up here: one small read per instance every few seconds.
    this.poll = setInterval(() => remote.store.usable && void this.read(), GENERATION_POLL_MS);
    this.poll.unref();
  }

  /** Stops the periodic read (the cache's close). */
  close(): void {
    if (this.poll) clearInterval(this.poll);
  }

  get current(): number {
    return this.value;
  }

  /** The current generation is the cluster's (always true without Redis). */
  get known(): boolean {
    return this.confirmed;
  }

  /** Called when the generation moved on without this instance bumping it (a message, or a read after an outage). */
  onChange(listener: (generation: number) => void): void {
    this.listeners.add(listener);
  }

  /** Reads the generation from Redis (one read at a time); true when it answered. */
  read(): Promise<boolean> {
    if (!this.remote) return Promise.resolve(true);
    this.reading ??= this.readOnce().finally(() => (this.reading = null));
    return this.reading;
  }

  private async readOnce(): Promise<boolean> {
    const { redis, store, key } = this.remote!;
    for (;;) {
      const lossesBefore = this.losses;
      const stored = await store.attempt('generation', async () => Number(await redis.eval(READ_SCRIPT, 1, key, String(this.value))), null);
      if (stored === null) {
        this.logger.warn({ generation: this.value }, 'cache generation not read (Redis unreachable); L2 unused until it is');
        return false;
      }
      this.advanceTo(stored, 'read');
      // Sent before a loss and answered after it: a bump made during the loss may be missing from the answer.
      if (this.losses !== lossesBefore) {
        if (!store.usable) return false;
        continue;
      }
      this.confirmed = store.usable;
      return true;
    }
  }

  /** A generation announced by another instance. */
  adopt(generation: number): void {
    this.advanceTo(generation, 'message');
  }

  private advanceTo(generation: number, how: 'read' | 'message'): void {
    if (!Number.isSafeInteger(generation) || generation <= this.value) return;
    const previous = this.value;
    this.value = generation;
    this.logger.info({ previous, generation, how }, 'cache generation changed: L1 dropped, older L2 entries are no longer read');
    for (const listener of this.listeners) listener(generation);
  }

  /**
   * The next generation: one more in Redis (null when Redis is unreachable: nothing changed),
   * or one more in memory. The caller drops its L1 and announces the number; listeners are
   * not called for this instance's own bump.
   */
  async bump(): Promise<number | null> {
    if (!this.remote) return ++this.value;
    const { redis, store, key } = this.remote;
    const next = await store.attempt(
      'generation bump',
      async () => Number(await redis.eval(BUMP_SCRIPT, 1, key, String(this.value))),
      null,
    );
    if (next === null) return null;
    // Another instance's bump may have been adopted meanwhile: never go back.
    this.value = Math.max(this.value, next);
    this.confirmed = store.usable;
    return this.value;
  }
}
