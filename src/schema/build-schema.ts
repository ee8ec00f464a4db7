import 'reflect-metadata';
import { specifiedDirectives, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AnalyticsResolver } from '../resolvers/analytics.resolver.js';
import { ApiKeyResolver } from '../resolvers/api-key.resolver.js';
import { CacheAdminResolver } from '../resolvers/cache-admin.resolver.js';
import { CategoryResolver } from '../resolvers/category.resolver.js';
import { IngestResolver } from '../resolvers/ingest.resolver.js';
import { CustomerResolver } from '../resolvers/customer.resolver.js';
import { InventoryLevelResolver } from '../resolvers/inventory-level.resolver.js';
import { OrderItemResolver } from '../resolvers/order-item.resolver.js';
import { OrderResolver } from '../resolvers/order.resolver.js';
import { CategoryPerformanceResolver, ProductPerformanceResolver } from '../resolvers/performance.resolver.js';
import { ProductResolver } from '../resolvers/product.resolver.js';
import { StoreResolver } from '../resolvers/store.resolver.js';
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
  ApiKeyResolver,
  CacheAdminResolver,
  IngestResolver,
] as const;

/** The executable schema, built once per process from the decorated classes. */
export async function buildGraphqlSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [...resolvers],
    authChecker,
    directives: [...specifiedDirectives, cachedDirective],
    // Arguments are checked by hand (schema/arguments.ts) with messages that name the argument.
    validate: false,
  });
}
