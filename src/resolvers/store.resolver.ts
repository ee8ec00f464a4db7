import { Arg, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { assertStoreVisible } from '../auth/principal.js';
import type { RequestContext } from '../context.js';
import { decodeCursor, mapNodes } from '../db/lists/cursor.js';
import { listStores } from '../db/lists/list-stores.js';
import { loadStore } from '../loaders/entity-by-id.loader.js';
import { toStore } from '../loaders/entity-mappers.js';
import { loadStoreCustomerInsights } from '../loaders/store-customer-insights.loader.js';
import { loadStoreInventory } from '../loaders/store-inventory.loader.js';
import { loadStoreRevenue } from '../loaders/store-revenue.loader.js';
import { loadStoreTopProducts } from '../loaders/store-top-products.loader.js';
import { loadStoreTraffic } from '../loaders/store-traffic.loader.js';
import { loadStoreEvents } from '../loaders/store-events.loader.js';
import { mergeTraffic } from '../loaders/merge-traffic.js';
import { Funnel } from '../schema/types/funnel.type.js';
import { checkRange, PageSizeArg, parseId } from '../schema/arguments.js';
import { principalOf, READERS } from '../schema/auth-checker.js';
import { Granularity, InventoryStatus } from '../schema/enums.js';
import { DateRange } from '../schema/inputs/date-range.input.js';
import { StoreConnection } from '../schema/types/connection.type.js';
import { CustomerInsights } from '../schema/types/customer-insights.type.js';
import { HourlyTraffic } from '../schema/types/hourly-traffic.type.js';
import { InventoryLevel } from '../schema/types/inventory-level.type.js';
import { ProductPerformance } from '../schema/types/product-performance.type.js';
import { RevenueSeries } from '../schema/types/revenue-series.type.js';
import { Store } from '../schema/types/store.type.js';
import { Cached } from '../schema/directives/cached.directive.js';
import { readTag } from '../cache/tag-vocabulary.js';
import { ANALYTIC_COST } from '../security/cost.js';

@Resolver(() => Store)
export class StoreResolver {
  @Authorized(READERS)
  @Cached({ ttl: 600, scope: 'PRIVATE', tags: [readTag.stores()] })
  @Query(() => StoreConnection, { description: 'Stores the key may see, by id' })
  stores(
    @Ctx() ctx: RequestContext,
    @PageSizeArg('first', 20) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ) {
    return listStores(ctx.db, {
      first,
      after: decodeCursor(after),
      storeIds: principalOf(ctx).storeIds,
    }).then((page) => mapNodes(page, toStore));
  }

  @Authorized(READERS)
  @Cached({ ttl: 600, scope: 'PRIVATE', tags: [readTag.store('args.id')] })
  @Query(() => Store, { nullable: true })
  async store(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    const storeId = parseId(id, 'id');
    assertStoreVisible(principalOf(ctx), storeId);
    return loadStore(ctx, storeId);
  }

  @Cached({ ttl: 300, swr: 60, cost: ANALYTIC_COST, tags: [readTag.storeSales('parent.id', 'args.range')] })
  @FieldResolver(() => RevenueSeries)
  revenue(
    @Root() store: Store,
    @Ctx() ctx: RequestContext,
    @Arg('range', () => DateRange) range: DateRange,
    @Arg('granularity', () => Granularity, { nullable: true, defaultValue: Granularity.DAY }) granularity: Granularity,
  ) {
    return loadStoreRevenue(ctx, store.id, { range: checkRange(range), granularity: granularity ?? Granularity.DAY });
  }

  @Cached({
    ttl: 900,
    swr: 60,
    cost: ANALYTIC_COST,
    tags: [readTag.storeSales('parent.id', 'args.range'), readTag.storeEvents('parent.id', 'args.range')],
  })
  @FieldResolver(() => [HourlyTraffic])
  async trafficPatterns(@Root() store: Store, @Ctx() ctx: RequestContext, @Arg('range', () => DateRange) range: DateRange) {
    const checked = checkRange(range);
    const [orders, events] = await Promise.all([
      loadStoreTraffic(ctx, store.id, { range: checked }),
      loadStoreEvents(ctx, store.id, { range: checked }),
    ]);
    return mergeTraffic(orders, events.visitsByHour);
  }

  @Cached({ ttl: 600, swr: 60, cost: ANALYTIC_COST, tags: [readTag.storeSales('parent.id', 'args.range')] })
  @FieldResolver(() => [ProductPerformance])
  topProducts(
    @Root() store: Store,
    @Ctx() ctx: RequestContext,
    @Arg('range', () => DateRange) range: DateRange,
    @PageSizeArg('limit', 10, { min: 1 }) limit: number,
  ) {
    return loadStoreTopProducts(ctx, store.id, { range: checkRange(range), limit });
  }

  @Cached({
    ttl: 1200,
    swr: 60,
    cost: ANALYTIC_COST,
    tags: [readTag.storeCustomers('parent.id'), readTag.storeEvents('parent.id', 'args.range')],
  })
  @FieldResolver(() => CustomerInsights)
  async customerInsights(@Root() store: Store, @Ctx() ctx: RequestContext, @Arg('range', () => DateRange) range: DateRange) {
    const checked = checkRange(range);
    const [insights, events] = await Promise.all([
      loadStoreCustomerInsights(ctx, store.id, { range: checked }),
      loadStoreEvents(ctx, store.id, { range: checked }),
    ]);
    return { ...insights, activeCustomers: events.activeCustomers };
  }

  @Cached({ ttl: 300, swr: 30, cost: ANALYTIC_COST, tags: [readTag.storeEvents('parent.id', 'args.range')] })
  @FieldResolver(() => Funnel, { description: 'Visits → page views → add-to-cart → checkout from ingested events' })
  async funnel(@Root() store: Store, @Ctx() ctx: RequestContext, @Arg('range', () => DateRange) range: DateRange) {
    const events = await loadStoreEvents(ctx, store.id, { range: checkRange(range) });
    const conversionRate = events.visits === 0 ? 0 : Math.round((events.checkouts / events.visits) * 10_000) / 10_000;
    return {
      visits: events.visits,
      pageViews: events.pageViews,
      addToCarts: events.addToCarts,
      checkouts: events.checkouts,
      conversionRate,
    };
  }

  @Cached({ ttl: 1800, swr: 60, cost: ANALYTIC_COST, tags: [readTag.storeInventory('parent.id')] })
  @FieldResolver(() => [InventoryLevel])
  inventory(
    @Root() store: Store,
    @Ctx() ctx: RequestContext,
    @Arg('status', () => InventoryStatus, { nullable: true, defaultValue: InventoryStatus.ALL }) status: InventoryStatus,
    @PageSizeArg('first', 50) first: number,
  ) {
    return loadStoreInventory(ctx, store.id, { status: status ?? InventoryStatus.ALL, first });
  }
}
