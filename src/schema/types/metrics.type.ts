import { Field, ObjectType } from 'type-graphql';
import type { ClusterStates } from '../../metrics/history/metrics-history.js';
import { MetricsScope } from './metrics-scope.type.js';

/**
 * Admins only (Query.metrics). Every field is a field resolver (resolvers/metrics.resolver.ts)
 * reading the one MetricsRegistry, so a query computes only what it selects; never cached.
 */
@ObjectType({ description: 'Server metrics from the registry /metrics also exports (ADMIN only; never cached)' })
export class Metrics {
  @Field(() => MetricsScope, { description: 'The scope asked for: INSTANCE, or CLUSTER (the same as INSTANCE without REDIS_URL)' })
  scope: MetricsScope;

  /**
   * metrics(instance:) naming another live instance: the sections answer from its published
   * state and snapshots; null for this instance (the registry, as before) and under CLUSTER.
   */
  instance: string | null;

  /** The cluster's (or the named instance's) states, read from Redis once per Metrics object however many fields need them. */
  clusterStates?: Promise<ClusterStates>;

  constructor(scope: MetricsScope = MetricsScope.INSTANCE, instance: string | null = null) {
    this.scope = scope;
    this.instance = instance;
  }
}
