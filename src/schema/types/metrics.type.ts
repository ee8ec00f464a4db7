import { ObjectType } from 'type-graphql';

/**
 * Admins only (Query.metrics). Every field is a field resolver (resolvers/metrics.resolver.ts)
 * reading the one MetricsRegistry, so a query computes only what it selects; never cached.
 */
@ObjectType({ description: 'Server metrics from the registry /metrics also exports (ADMIN only; never cached)' })
export class Metrics {}
