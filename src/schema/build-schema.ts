import 'reflect-metadata';
import { specifiedDirectives, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AlertsResolver } from '../resolvers/alerts.resolver.js';
import { AnalyticsResolver } from '../resolvers/analytics.resolver.js';
import { ApiKeyResolver } from '../resolvers/api-key.resolver.js';
import { CacheAdminResolver } from '../resolvers/cache-admin.resolver.js';
import { CacheMetricsResolver } from '../resolvers/cache-metrics.resolver.js';
import { SlowQueryResolver } from '../resolvers/slow-query.resolver.js';
import { CategoryResolver } from '../resolvers/category.resolver.js';
import { IngestResolver } from '../resolvers/ingest.resolver.js';
import { DatabaseMetricsResolver, MetricsResolver } from '../resolvers/metrics.resolver.js';
import { CustomerResolver } from '../resolvers/customer.resolver.js';
import { InventoryLevelResolver } from '../resolvers/inventory-level.resolver.js';
import { OrderItemResolver } from '../resolvers/order-item.resolver.js';
import { OrderResolver } from '../resolvers/order.resolver.js';
import { CategoryPerformanceResolver, ProductPerformanceResolver } from '../resolvers/performance.resolver.js';
import { ProductResolver } from '../resolvers/product.resolver.js';
import { StoreResolver } from '../resolvers/store.resolver.js';
import { JobCommandsResolver } from '../resolvers/job-commands.resolver.js';
import { JobEventsResolver, NO_PUBSUB } from '../resolvers/job-events.resolver.js';
import { JobResolver } from '../resolvers/job.resolver.js';
import { ReportResolver } from '../resolvers/report.resolver.js';
import { ReplicaMetricsResolver } from '../resolvers/replica-metrics.resolver.js';
import { authChecker } from './auth-checker.js';
import { cachedDirective } from './directives/cached.directive.js';

export const resolvers = [
  StoreResolver,
  ProductResolver,
  CategoryResolver,
  CustomerResolver,
  OrderResolver,
  OrderItemResolver,
  InventoryLevelResolver,
  ProductPerformanceResolver,
  CategoryPerformanceResolver,
  AnalyticsResolver,
  ReplicaMetricsResolver,
  ApiKeyResolver,
  CacheAdminResolver,
  IngestResolver,
  MetricsResolver,
  DatabaseMetricsResolver,
  CacheMetricsResolver,
  SlowQueryResolver,
  JobResolver,
  JobCommandsResolver,
  JobEventsResolver,
  AlertsResolver,
  ReportResolver,
] as const;

/** The executable schema, built once per process from the decorated classes. */
export async function buildGraphqlSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [...resolvers],
    authChecker,
    // jobEvents subscribes through its own subscribe(); type-graphql still wants a PubSub.
    pubSub: NO_PUBSUB,
    directives: [...specifiedDirectives, cachedDirective],
    // Arguments are checked by hand (schema/arguments.ts) with messages that name the argument.
    validate: false,
  });
}
