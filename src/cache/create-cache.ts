import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createFastRedis, createRedisSubscriber, type RedisClient } from '../redis.js';
import { CacheGeneration } from './cache-generation.js';
import { InvalidationBus } from './invalidation-bus.js';
import { MemoryStore } from './memory-store.js';
import { RedisStore } from './redis-store.js';
import { TieredCache } from './tiered-cache.js';

export interface CacheRuntime {
  cache: TieredCache;
  bus: InvalidationBus | null;
  /** The fail-fast connection, shared with rate limits; null without REDIS_URL. */
  redis: RedisClient | null;
  status(): { mode: 'L1' | 'L1+L2'; redisConnected: boolean; degraded: boolean };
  close(): Promise<void>;
}

/** L1 always; L2, pub/sub and the Redis lock when REDIS_URL is set. */
export async function createCache(config: Config, logger: Logger): Promise<CacheRuntime> {
  const l1 = new MemoryStore(config.CACHE_L1_MAX_BYTES);
  if (!config.REDIS_URL) {
    const cache = new TieredCache(l1, null, null, logger, { outageTtlMs: config.CACHE_OUTAGE_TTL_MS });
    return { cache, bus: null, redis: null, status: () => ({ mode: 'L1', redisConnected: false, degraded: false }), close: async () => {} };
  }
  const redis = createFastRedis(config.REDIS_URL, logger, 'cache');
  // The subscriber may queue its SUBSCRIBE until connected and re-subscribes after reconnects.
  const subscriber = createRedisSubscriber(config.REDIS_URL, logger, 'subscriber');
  const l2 = new RedisStore(redis, config.REDIS_PREFIX, logger);
  const bus = new InvalidationBus(redis, subscriber, `${config.REDIS_PREFIX}bus`, logger, l2);
  // Before anything waits on Redis: it reads the generation itself whenever Redis becomes usable.
  const generation = new CacheGeneration({ redis, store: l2, key: `${config.REDIS_PREFIX}generation`, bus }, logger);
  // Start never waits on a dead Redis: the subscription completes in the background once it connects.
  const started = bus.start().then(
    () => true,
    (error: unknown) => {
      logger.error({ err: error }, 'Redis pub/sub subscription failed');
      return false;
    },
  );
  // L2 is usable once its connection is ready and its first probe answered (a round trip after the subscription, usually).
  const l2Usable = new Promise<boolean>((resolve) => {
    if (l2.usable) resolve(true);
    else l2.onAvailabilityChange((usable) => usable && resolve(true));
  });
  const timer = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2_000).unref());
  if (!(await Promise.race([started, timer]))) {
    logger.warn('Redis pub/sub not subscribed yet; invalidations from other instances arrive once it connects');
  }
  if (!(await Promise.race([l2Usable, timer]))) logger.warn('Redis cache not reachable yet: L1 only until it answers');
  // The first requests use the cluster's generation (or, if Redis does not answer, L1 only until it does).
  else await generation.read();
  const cache = new TieredCache(l1, l2, bus, logger, { outageTtlMs: config.CACHE_OUTAGE_TTL_MS, generation });
  return {
    cache,
    bus,
    redis,
    status: () => ({ mode: 'L1+L2', redisConnected: l2.connected, degraded: l2.degraded }),
    close: async () => {
      generation.close();
      bus.close();
      l2.close();
      subscriber.disconnect();
      redis.disconnect();
    },
  };
}
