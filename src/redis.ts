import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';

/**
 * Connections for the cache, rate limits and pub/sub: fail fast, never queue. A request
 * must never wait on a dead Redis longer than `commandTimeout` (a cache rule: Redis errors are misses).
 * BullMQ keeps its own connections with its own settings.
 */
export function createFastRedis(url: string, logger: Logger, name: string, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    connectionName: `graphpulse:${name}`,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    commandTimeout: 250,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    // Keep trying to come back, without flooding: 100 ms, 200 ms, … up to 2 s apart.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
    lazyConnect: false,
    ...options,
  });
  let lastErrorLog = 0;
  redis.on('error', (error: Error) => {
    // ioredis emits an error per failed reconnect; one line per 10 s is enough to see it.
    if (Date.now() - lastErrorLog > 10_000) {
      lastErrorLog = Date.now();
      logger.warn({ err: error, connection: name }, 'Redis connection error');
    }
  });
  return redis;
}
