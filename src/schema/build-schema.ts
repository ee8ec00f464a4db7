import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AnalyticsResolver } from '../resolvers/analytics.resolver.js';
import { ApiKeyResolver } from '../resolvers/api-key.resolver.js';
import { CategoryResolver } from '../resolvers/category.resolver.js';
import { CustomerResolver } from '../resolvers/customer.resolver.js';
import { InventoryLevelResolver } from '../resolvers/inventory-level.resolver.js';
import { OrderItemResolver } from '../resolvers/order-item.resolver.js';
import { OrderResolver } from '../resolvers/order.resolver.js';
import { CategoryPerformanceResolver, ProductPerformanceResolver } from '../resolvers/performance.resolver.js';
import { ProductResolver } from '../resolvers/product.resolver.js';
import { StoreResolver } from '../resolvers/store.resolver.js';
import { authChecker } from './auth-checker.js';

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
] as const;

/** The executable schema, built once per process from the decorated classes. */
export async function buildGraphqlSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [...resolvers],
    authChecker,
    // Arguments are checked by hand (schema/arguments.ts) with messages that name the argument.
    validate: false,
  });
}
