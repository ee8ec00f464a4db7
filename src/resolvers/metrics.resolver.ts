import { Arg, Authorized, Ctx, FieldResolver, Float, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../context.js';
import { ServiceUnavailableError } from '../errors.js';
import type { MetricsRegistry } from '../metrics/metrics-registry.js';
import { PageSizeArg } from '../schema/arguments.js';
import { ADMINS } from '../schema/auth-checker.js';
import { DateTimeScalar } from '../schema/scalars/index.js';
import { CacheMetrics } from '../schema/types/metrics-cache.type.js';
import { DatabaseMetrics, SlowQuery } from '../schema/types/metrics-database.type.js';
import { ExecutionMetrics } from '../schema/types/metrics-execution.type.js';
import { HttpMetrics } from '../schema/types/metrics-http.type.js';
import { ProcessMetrics } from '../schema/types/metrics-process.type.js';
import { QueueMetrics } from '../schema/types/metrics-queue.type.js';
import { ResolverMetrics, ResolverOrder } from '../schema/types/metrics-resolver.type.js';
import { Metrics } from '../schema/types/metrics.type.js';

function registryOf(ctx: RequestContext): MetricsRegistry {
  const metrics = ctx.services.metrics;
  if (!metrics) throw new ServiceUnavailableError('Metrics are not collected by this process');
  return metrics;
}

/**
 * Query.metrics and resetMetrics (ADMIN; type-graphql's auth applies over HTTP and
 * WebSocket alike). Below the root, each section is computed only when selected.
 */
@Resolver(() => Metrics)
export class MetricsResolver {
  @Authorized(ADMINS)
  @Query(() => Metrics, { description: 'Latency, cache, SQL, pool, queue and process numbers (ADMIN)' })
  metrics(): Metrics {
    return new Metrics();
  }

  @Authorized(ADMINS)
  @Mutation(() => Boolean, { description: 'Clears every metric (counts, histograms, slow queries, cache counters); uptime is kept' })
  resetMetrics(@Ctx() ctx: RequestContext): boolean {
    registryOf(ctx).reset();
    ctx.services.logger.info({ key: ctx.principal?.keyId }, 'metrics reset by an admin');
    return true;
  }

  @FieldResolver(() => DateTimeScalar, { description: 'When this server process started' })
  startedAt(@Ctx() ctx: RequestContext): Date {
    return registryOf(ctx).startedAt;
  }

  @FieldResolver(() => DateTimeScalar, { description: 'Start of the counting window: startedAt or the last resetMetrics' })
  since(@Ctx() ctx: RequestContext): Date {
    return registryOf(ctx).since;
  }

  @FieldResolver(() => Float)
  uptimeSeconds(@Ctx() ctx: RequestContext): number {
    return registryOf(ctx).uptimeSeconds();
  }

  @FieldResolver(() => HttpMetrics)
  http(@Ctx() ctx: RequestContext): HttpMetrics {
    return registryOf(ctx).http.snapshot();
  }

  @FieldResolver(() => [ResolverMetrics], { description: 'Fields that do work, by coordinate; metrics fields themselves are not counted' })
  resolvers(
    @Ctx() ctx: RequestContext,
    @PageSizeArg('top', 20, { min: 1 }) top: number,
    @Arg('orderBy', () => ResolverOrder, { nullable: true, defaultValue: ResolverOrder.P95_DESC }) orderBy: ResolverOrder,
  ): ResolverMetrics[] {
    return registryOf(ctx).resolvers.rows(orderBy, top);
  }

  @FieldResolver(() => CacheMetrics)
  cache(@Ctx() ctx: RequestContext): CacheMetrics {
    return registryOf(ctx).cache.snapshot();
  }

  @FieldResolver(() => DatabaseMetrics)
  database(@Ctx() ctx: RequestContext): DatabaseMetrics {
    return registryOf(ctx).database.snapshot();
  }

  @FieldResolver(() => [QueueMetrics], { description: 'Counts by state per queue, read live' })
  queues(@Ctx() ctx: RequestContext): Promise<QueueMetrics[]> {
    return registryOf(ctx).queues();
  }

  @FieldResolver(() => ExecutionMetrics)
  execution(@Ctx() ctx: RequestContext): ExecutionMetrics {
    return registryOf(ctx).execution();
  }

  @FieldResolver(() => ProcessMetrics)
  process(@Ctx() ctx: RequestContext): ProcessMetrics {
    return registryOf(ctx).process.snapshot();
  }
}

/** DatabaseMetrics.slowQueries(limit): the one Metrics field below the first level that takes an argument. */
@Resolver(() => DatabaseMetrics)
export class DatabaseMetricsResolver {
  @FieldResolver(() => [SlowQuery], { description: 'Slowest statement shapes first (by p95)' })
  slowQueries(@Ctx() ctx: RequestContext, @PageSizeArg('limit', 10, { min: 1 }) limit: number): SlowQuery[] {
    return registryOf(ctx).database.slowQueries(limit);
  }
}
