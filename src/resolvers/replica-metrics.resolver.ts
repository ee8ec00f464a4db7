import { Ctx, FieldResolver, Resolver } from 'type-graphql';
import type { RequestContext } from '../context.js';
import { DatabaseMetrics } from '../schema/types/metrics-database.type.js';
import { ReplicaMetrics } from '../schema/types/metrics-replica.type.js';

@Resolver(() => DatabaseMetrics)
export class ReplicaMetricsResolver {
  @FieldResolver(() => [ReplicaMetrics], {
    description: 'DATABASE_READ_URLS, in order, as this instance sees them; empty without replicas',
  })
  replicas(@Ctx() ctx: RequestContext): ReplicaMetrics[] {
    return ctx.services.replicas?.snapshot() ?? [];
  }
}
