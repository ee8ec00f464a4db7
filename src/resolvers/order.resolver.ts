import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { scopedStoreIds } from '../auth/principal.js';
import type { RequestContext } from '../context.js';
import { decodeCursor, mapNodes } from '../db/lists/cursor.js';
import { listOrders } from '../db/lists/list-orders.js';
import { loadCustomer, loadStore } from '../loaders/entity-by-id.loader.js';
import { toOrder } from '../loaders/entity-mappers.js';
import { loadOrderItems } from '../loaders/items-by-order.loader.js';
import { checkRange, PageSizeArg, parseId } from '../schema/arguments.js';
import { principalOf, READERS, WRITERS } from '../schema/auth-checker.js';
import { DateRange } from '../schema/inputs/date-range.input.js';
import { OrderInput } from '../schema/inputs/order.input.js';
import { OrderConnection } from '../schema/types/connection.type.js';
import { Customer } from '../schema/types/customer.type.js';
import { OrderItem } from '../schema/types/order-item.type.js';
import { Order } from '../schema/types/order.type.js';
import { Store } from '../schema/types/store.type.js';
import { recordOrder } from '../use-cases/record-order.js';

@Resolver(() => Order)
export class OrderResolver {
  @Authorized(READERS)
  @Query(() => OrderConnection, { description: 'Newest first, at the stores the key may see' })
  orders(
    @Ctx() ctx: RequestContext,
    @Arg('storeId', () => ID, { nullable: true }) storeId: string | null | undefined,
    @Arg('range', () => DateRange, { nullable: true }) range: DateRange | null | undefined,
    @PageSizeArg('first', 20) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ) {
    return listOrders(ctx.db, {
      first,
      after: decodeCursor(after),
      storeIds: scopedStoreIds(principalOf(ctx), storeId ? [parseId(storeId, 'storeId')] : null),
      range: range ? checkRange(range) : null,
    }).then((page) => mapNodes(page, toOrder));
  }

  @Authorized(WRITERS)
  @Mutation(() => Order, { description: 'Records a completed sale; ADMIN or INGEST keys' })
  recordOrder(@Ctx() ctx: RequestContext, @Arg('input', () => OrderInput) input: OrderInput) {
    return recordOrder(ctx, input);
  }

  @FieldResolver(() => Store)
  store(@Root() order: Order, @Ctx() ctx: RequestContext) {
    return loadStore(ctx, order.storeId);
  }

  @FieldResolver(() => Customer, { nullable: true })
  customer(@Root() order: Order, @Ctx() ctx: RequestContext) {
    return order.customerId === null ? null : loadCustomer(ctx, order.customerId);
  }

  @FieldResolver(() => [OrderItem])
  items(@Root() order: Order, @Ctx() ctx: RequestContext) {
    return loadOrderItems(ctx, order.id);
  }
}
