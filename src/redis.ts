import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';

/**
 * How long one command on a fail-fast connection may wait for Redis (ms). It is also the
 * bound of one request's whole wait on Redis: the first timeout drops the connection and
 * opens the cache's breaker, so nothing after it waits again (src/cache/redis-store.ts).
 */
export const REDIS_COMMAND_TIMEOUT_MS = 250;
/** The longest pause between two reconnection attempts (ms): Redis is in use again at most this long after it is back. */
export const REDIS_RECONNECT_MAX_DELAY_MS = 1_000;

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
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    // A hung Redis (process stopped, host gone without a reset) keeps the socket open and
    // answers nothing: every command on the connection would wait out its own timeout, one
    // after the other, including those of users that do not see the cache's breaker (rate
    // limits, persisted queries). With no byte back within one command timeout the socket
    // is destroyed, which fails every pending command at once and takes the connection out
    // of 'ready' (commands are then refused immediately), until a reconnection's handshake
    // is answered.
    socketTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    // Keep trying to come back, without flooding: 100 ms, 200 ms, … never more than 1 s
    // apart, so L2 is in use again about a second after Redis is back.
    retryStrategy: (attempt) => Math.min(attempt * 100, REDIS_RECONNECT_MAX_DELAY_MS),
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
