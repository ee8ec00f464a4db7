import { Ctx, FieldResolver, Int, Resolver } from 'type-graphql';
import type { RequestContext } from '../context.js';
import { redisServerStats, type RedisServerStats as Stats } from '../metrics/redis-info.js';
import { CacheMetrics } from '../schema/types/metrics-cache.type.js';
import { RedisServerStats } from '../schema/types/metrics-redis.type.js';

/** The longest Metrics.cache.redis waits for INFO (ms): a slow Redis makes the field null, never the query slow. */
export const REDIS_INFO_TIMEOUT_MS = 250;

/** CacheMetrics fields read live at query time: the Redis server's stats and the cache generation. */
@Resolver(() => CacheMetrics)
export class CacheMetricsResolver {
  @FieldResolver(() => RedisServerStats, {
    nullable: true,
    description: 'The Redis server behind L2 (INFO); null without REDIS_URL, or when INFO failed or took over 250 ms (logged)',
  })
  async redis(@Ctx() ctx: RequestContext): Promise<Stats | null> {
    const { cache, logger } = ctx.services;
    if (!cache.l2) return null;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), REDIS_INFO_TIMEOUT_MS)));
    try {
      const text = await Promise.race([cache.l2.serverInfo(), timeout]);
      if (text === 'timeout' || text === null) {
        logger.warn(
          { reason: text === 'timeout' ? `no answer within ${REDIS_INFO_TIMEOUT_MS} ms` : 'Redis unreachable or INFO failed' },
          'Redis INFO for Metrics.cache.redis failed; the field is null',
        );
        return null;
      }
      return redisServerStats(text);
    } finally {
      clearTimeout(timer);
    }
  }

  @FieldResolver(() => Int, { description: 'The cache generation, part of every L2 key; invalidateCache(all: true) moves it on' })
  generation(@Ctx() ctx: RequestContext): number {
    return ctx.services.cache.currentGeneration;
  }
}
