import { Arg, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { assertStoreVisible, scopedStoreIds } from '../auth/principal.js';
import type { RequestContext } from '../context.js';
import { decodeCursor, mapNodes } from '../db/lists/cursor.js';
import { listProducts } from '../db/lists/list-products.js';
import { loadCategory, loadProduct } from '../loaders/entity-by-id.loader.js';
import { toProduct } from '../loaders/entity-mappers.js';
import { loadProductInventory } from '../loaders/product-inventory.loader.js';
import { loadProductPerformance } from '../loaders/product-performance.loader.js';
import { BadUserInputError } from '../errors.js';
import { checkRange, PageSizeArg, parseId } from '../schema/arguments.js';
import { principalOf, READERS } from '../schema/auth-checker.js';
import { DateRange } from '../schema/inputs/date-range.input.js';
import { Category } from '../schema/types/category.type.js';
import { ProductConnection } from '../schema/types/connection.type.js';
import { InventoryLevel } from '../schema/types/inventory-level.type.js';
import { ProductPerformance } from '../schema/types/product-performance.type.js';
import { Product } from '../schema/types/product.type.js';
import { Cached } from '../schema/directives/cached.directive.js';
import { readTag } from '../cache/tag-vocabulary.js';
import { ANALYTIC_COST } from '../security/cost.js';

@Resolver(() => Product)
export class ProductResolver {
  @Authorized(READERS)
  @Query(() => ProductConnection, { description: 'The catalogue by id; search matches name or SKU, case-insensitive' })
  products(
    @Ctx() ctx: RequestContext,
    @PageSizeArg('first', 20) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
    @Arg('categoryId', () => ID, { nullable: true }) categoryId?: string | null,
    @Arg('search', () => String, { nullable: true }) search?: string | null,
  ) {
    if (search && search.length > 100) throw new BadUserInputError('search must be at most 100 characters', { argument: 'search' });
    return listProducts(ctx.db, {
      first,
      after: decodeCursor(after),
      categoryId: categoryId ? parseId(categoryId, 'categoryId') : null,
      search: search?.trim() || null,
    }).then((page) => mapNodes(page, toProduct));
  }

  @Authorized(READERS)
  @Cached({ ttl: 600, tags: [readTag.product('args.id')] })
  @Query(() => Product, { nullable: true })
  product(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return loadProduct(ctx, parseId(id, 'id'));
  }

  @Cached({ ttl: 600, tags: [readTag.catalog()] })
  @FieldResolver(() => Category)
  category(@Root() product: Product, @Ctx() ctx: RequestContext) {
    return loadCategory(ctx, product.categoryId);
  }

  @Cached({ ttl: 600, swr: 60, cost: ANALYTIC_COST, scope: 'PRIVATE', tags: [readTag.productSales('parent.id', 'args.range')] })
  @FieldResolver(() => ProductPerformance, { description: 'Sales in the range at one store, or at every store the key may see' })
  performance(
    @Root() product: Product,
    @Ctx() ctx: RequestContext,
    @Arg('range', () => DateRange) range: DateRange,
    @Arg('storeId', () => ID, { nullable: true }) storeId?: string | null,
  ) {
    const stores = scopedStoreIds(principalOf(ctx), storeId ? [parseId(storeId, 'storeId')] : null);
    return loadProductPerformance(ctx, product.id, { range: checkRange(range), storeIds: stores });
  }

  @Cached({ ttl: 1800, swr: 60, cost: ANALYTIC_COST, scope: 'PRIVATE', tags: [readTag.storeInventory('args.storeId')] })
  @FieldResolver(() => InventoryLevel, { nullable: true })
  inventory(@Root() product: Product, @Ctx() ctx: RequestContext, @Arg('storeId', () => ID) storeId: string) {
    const store = parseId(storeId, 'storeId');
    assertStoreVisible(principalOf(ctx), store);
    return loadProductInventory(ctx, product.id, store);
  }
}
