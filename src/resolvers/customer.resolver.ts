import { Arg, Authorized, Ctx, FieldResolver, Float, ID, Query, Resolver, Root } from 'type-graphql';
import { canSeeStore, scopedStoreIds } from '../auth/principal.js';
import type { RequestContext } from '../context.js';
import { decodeCursor } from '../db/lists/cursor.js';
import { loadCustomerLifetimeValue } from '../loaders/customer-lifetime-value.loader.js';
import { loadCustomerOrders } from '../loaders/customer-orders.loader.js';
import { loadCustomer, loadStore } from '../loaders/entity-by-id.loader.js';
import { PageSizeArg, parseId } from '../schema/arguments.js';
import { principalOf, READERS } from '../schema/auth-checker.js';
import { OrderConnection } from '../schema/types/connection.type.js';
import { Customer } from '../schema/types/customer.type.js';
import { Store } from '../schema/types/store.type.js';
import { Cached } from '../schema/directives/cached.directive.js';
import { readTag } from '../cache/tag-vocabulary.js';
import { ANALYTIC_COST } from '../security/cost.js';

@Resolver(() => Customer)
export class CustomerResolver {
  @Authorized(READERS)
  @Query(() => Customer, { nullable: true, description: 'A store-scoped key sees only customers whose home store is in its scope' })
  async customer(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    const customer = await loadCustomer(ctx, parseId(id, 'id'));
    const principal = principalOf(ctx);
    if (customer && principal.storeIds !== null && (customer.homeStoreId === null || !canSeeStore(principal, customer.homeStoreId))) {
      return null;
    }
    return customer;
  }

  @FieldResolver(() => Store, { nullable: true })
  homeStore(@Root() customer: Customer, @Ctx() ctx: RequestContext) {
    if (customer.homeStoreId === null || !canSeeStore(principalOf(ctx), customer.homeStoreId)) return null;
    return loadStore(ctx, customer.homeStoreId);
  }

  @Cached({ ttl: 1200, swr: 60, cost: ANALYTIC_COST, scope: 'PRIVATE', tags: [readTag.customerOrders('parent.id')] })
  @FieldResolver(() => Float, { description: 'Completed spend, all time, at the stores the key may see' })
  lifetimeValue(@Root() customer: Customer, @Ctx() ctx: RequestContext) {
    return loadCustomerLifetimeValue(ctx, customer.id, { storeIds: scopedStoreIds(principalOf(ctx), null) });
  }

  @FieldResolver(() => OrderConnection, { description: 'Newest first' })
  orders(
    @Root() customer: Customer,
    @Ctx() ctx: RequestContext,
    @PageSizeArg('first', 20) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ) {
    return loadCustomerOrders(ctx, customer.id, { first, after: decodeCursor(after) });
  }
}
