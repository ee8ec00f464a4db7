import { Arg, Authorized, Ctx, FieldResolver, Float, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../context.js';
import { BadUserInputError, ServiceUnavailableError } from '../errors.js';
import { mergeCache, mergeDatabase, mergeHttp, mergeProcess, mergeResolvers } from '../metrics/history/cluster-merge.js';
import type { HistoryPoint } from '../metrics/history/history-points.js';
import { MetricsHistory, type ClusterStates, type InstanceSummary } from '../metrics/history/metrics-history.js';
import type { MetricsRegistry } from '../metrics/metrics-registry.js';
import { PageSizeArg } from '../schema/arguments.js';
import { ADMINS } from '../schema/auth-checker.js';
import { DateTimeScalar } from '../schema/scalars/index.js';
import { CacheMetrics } from '../schema/types/metrics-cache.type.js';
import { DatabaseMetrics, SlowQuery } from '../schema/types/metrics-database.type.js';
import { ExecutionMetrics } from '../schema/types/metrics-execution.type.js';
import { HttpMetrics } from '../schema/types/metrics-http.type.js';
import { MetricsInstance } from '../schema/types/metrics-instance.type.js';
import { MetricsPoint } from '../schema/types/metrics-point.type.js';
import { ProcessMetrics } from '../schema/types/metrics-process.type.js';
import { QueueMetrics } from '../schema/types/metrics-queue.type.js';
import { ResolverMetrics, ResolverOrder } from '../schema/types/metrics-resolver.type.js';
import { MetricsScope } from '../schema/types/metrics-scope.type.js';
import { Metrics } from '../schema/types/metrics.type.js';

function registryOf(ctx: RequestContext): MetricsRegistry {
  const metrics = ctx.services.metrics;
  if (!metrics) throw new ServiceUnavailableError('Metrics are not collected by this process');
  return metrics;
}

function historyOf(ctx: RequestContext): MetricsHistory {
  const history = ctx.services.metricsHistory;
  if (!history) throw new ServiceUnavailableError('Metric history is not kept by this process');
  return history;
}

/**
 * The states a section merges, read from Redis once per Metrics object: every live
 * instance's under CLUSTER, the named one's under metrics(instance:); null for this
 * instance (and in a process without history), whose sections read the registry as before.
 */
function clusterOf(metrics: Metrics, ctx: RequestContext): Promise<ClusterStates> | null {
  const history = ctx.services.metricsHistory;
  if (!history) return null;
  if (metrics.instance !== null) metrics.clusterStates ??= history.instanceStates(metrics.instance);
  else if (metrics.scope === MetricsScope.CLUSTER) metrics.clusterStates ??= history.states('CLUSTER');
  return metrics.clusterStates ?? null;
}

/**
 * Query.metrics and resetMetrics (ADMIN; type-graphql's auth applies over HTTP and
 * WebSocket alike). Below the root, each section is computed only when selected; under
 * CLUSTER, http, resolvers, cache, database, process, history and instances merge every
 * live instance (metrics/history/cluster-merge.ts), the rest stays this instance's.
 */
@Resolver(() => Metrics)
export class MetricsResolver {
  @Authorized(ADMINS)
  @Query(() => Metrics, { description: 'Latency, cache, SQL, pool, queue and process numbers (ADMIN)' })
  async metrics(
    @Ctx() ctx: RequestContext,
    @Arg('scope', () => MetricsScope, { nullable: true, defaultValue: MetricsScope.INSTANCE, description: 'INSTANCE (default) or CLUSTER' })
    scope: MetricsScope,
    @Arg('instance', () => ID, {
      nullable: true,
      description:
        'INSTANCE scope only: a live instance of Metrics.instances; http, resolvers, cache, database, process, history and instances ' +
        'then answer from its published state (queues and alerts stay cluster-wide). Unknown or dead: BAD_USER_INPUT',
    })
    instance: string | null | undefined,
  ): Promise<Metrics> {
    const chosen = scope ?? MetricsScope.INSTANCE;
    if (instance === null || instance === undefined) return new Metrics(chosen);
    if (chosen === MetricsScope.CLUSTER) {
      throw new BadUserInputError('instance names one instance: use it with scope INSTANCE, not CLUSTER', { argument: 'instance' });
    }
    const history = historyOf(ctx);
    await history.checkInstance(instance);
    // This instance itself: the registry, exactly as without the argument.
    return new Metrics(chosen, instance === history.identity.id ? null : instance);
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
  async http(@Root() metrics: Metrics, @Ctx() ctx: RequestContext): Promise<HttpMetrics> {
    const cluster = clusterOf(metrics, ctx);
    return cluster ? mergeHttp((await cluster).states) : registryOf(ctx).http.snapshot();
  }

  @FieldResolver(() => [ResolverMetrics], { description: 'Fields that do work, by coordinate; metrics fields themselves are not counted' })
  async resolvers(
    @Root() metrics: Metrics,
    @Ctx() ctx: RequestContext,
    @PageSizeArg('top', 20, { min: 1 }) top: number,
    @Arg('orderBy', () => ResolverOrder, { nullable: true, defaultValue: ResolverOrder.P95_DESC }) orderBy: ResolverOrder,
  ): Promise<ResolverMetrics[]> {
    const cluster = clusterOf(metrics, ctx);
    return cluster ? mergeResolvers((await cluster).states, orderBy, top) : registryOf(ctx).resolvers.rows(orderBy, top);
  }

  @FieldResolver(() => CacheMetrics)
  async cache(@Root() metrics: Metrics, @Ctx() ctx: RequestContext): Promise<CacheMetrics> {
    const cluster = clusterOf(metrics, ctx);
    return cluster ? mergeCache((await cluster).states) : registryOf(ctx).cache.snapshot();
  }

  @FieldResolver(() => DatabaseMetrics, {
    description: "Under CLUSTER: counters and pool summed, latency merged; slowQueries stay this instance's",
  })
  async database(@Root() metrics: Metrics, @Ctx() ctx: RequestContext): Promise<DatabaseMetrics> {
    const cluster = clusterOf(metrics, ctx);
    return cluster ? mergeDatabase((await cluster).states) : registryOf(ctx).database.snapshot();
  }

  @FieldResolver(() => [QueueMetrics], {
    description: 'Counts by state per queue, read live (shared by every instance, whatever the scope)',
  })
  queues(@Ctx() ctx: RequestContext): Promise<QueueMetrics[]> {
    return registryOf(ctx).queues();
  }

  @FieldResolver(() => ExecutionMetrics, { description: "This instance's, whatever the scope" })
  execution(@Ctx() ctx: RequestContext): ExecutionMetrics {
    return registryOf(ctx).execution();
  }

  @FieldResolver(() => ProcessMetrics, {
    description: "Under CLUSTER: memory, resources and listeners summed over instances; event-loop lag the worst instance's",
  })
  async process(@Root() metrics: Metrics, @Ctx() ctx: RequestContext): Promise<ProcessMetrics> {
    const cluster = clusterOf(metrics, ctx);
    return cluster ? mergeProcess((await cluster).states) : registryOf(ctx).process.snapshot();
  }

  @FieldResolver(() => [MetricsPoint], {
    description:
      'Time series of 10 s snapshots, oldest first, one point per step holding one (1 <= minutes <= 60; stepSeconds a multiple of 10, at most minutes × 60)',
  })
  history(
    @Root() metrics: Metrics,
    @Ctx() ctx: RequestContext,
    @Arg('minutes', () => Int, { nullable: true, defaultValue: 15 }) minutes: number,
    @Arg('stepSeconds', () => Int, { nullable: true, defaultValue: 10 }) stepSeconds: number,
  ): Promise<HistoryPoint[]> {
    const history = historyOf(ctx);
    if (metrics.instance !== null) return history.instancePoints(metrics.instance, minutes ?? 15, stepSeconds ?? 10);
    return history.points(metrics.scope, minutes ?? 15, stepSeconds ?? 10);
  }

  @FieldResolver(() => [MetricsInstance], {
    description:
      'INSTANCE: this process (or the one named by metrics(instance:)). CLUSTER: every instance seen in the last 30 s, this one first',
  })
  async instances(@Root() metrics: Metrics, @Ctx() ctx: RequestContext): Promise<InstanceSummary[]> {
    const history = historyOf(ctx);
    const states = clusterOf(metrics, ctx) ?? history.states('INSTANCE');
    return MetricsHistory.summaries(await states, history.identity.id);
  }

  @FieldResolver(() => Boolean, {
    description: "CLUSTER only: Redis could not be read, so the numbers are this instance's alone (logged as a warning)",
  })
  async clusterDegraded(@Root() metrics: Metrics, @Ctx() ctx: RequestContext): Promise<boolean> {
    const cluster = clusterOf(metrics, ctx);
    return cluster ? (await cluster).degraded : false;
  }
}

/** DatabaseMetrics.slowQueries(limit) and slowQuery(sql): the Metrics fields below the first level that take arguments. */
@Resolver(() => DatabaseMetrics)
export class DatabaseMetricsResolver {
  @FieldResolver(() => [SlowQuery], { description: "Slowest statement shapes first (by p95); this instance's, whatever the scope" })
  slowQueries(@Ctx() ctx: RequestContext, @PageSizeArg('limit', 10, { min: 1 }) limit: number): SlowQuery[] {
    return registryOf(ctx).database.slowQueries(limit);
  }

  @FieldResolver(() => SlowQuery, {
    nullable: true,
    description:
      "One recorded statement shape by its normalized text (SlowQuery.sql), this instance's; null when none was recorded. " +
      'Only looked up: the text is never run (its plan is of the recorded sample)',
  })
  slowQuery(
    @Ctx() ctx: RequestContext,
    @Arg('sql', () => String, { description: 'The normalized text, exactly as SlowQuery.sql lists it' }) sql: string,
  ): SlowQuery | null {
    return registryOf(ctx).database.slowQuery(sql);
  }
}
