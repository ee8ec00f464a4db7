import { Arg, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { scopedStoreIds } from '../auth/principal.js';
import type { RequestContext } from '../context.js';
import { decodeCursor } from '../db/lists/cursor.js';
import { loadCategoryPerformance } from '../loaders/category-performance.loader.js';
import { loadCategoryProducts } from '../loaders/category-products.loader.js';
import { checkRange, PageSizeArg } from '../schema/arguments.js';
import { principalOf, READERS } from '../schema/auth-checker.js';
import { DateRange } from '../schema/inputs/date-range.input.js';
import { toCategory } from '../loaders/entity-mappers.js';
import { Category } from '../schema/types/category.type.js';
import { CategoryPerformance } from '../schema/types/category-performance.type.js';
import { ProductConnection } from '../schema/types/connection.type.js';
import { Cached } from '../schema/directives/cached.directive.js';
import { readTag } from '../cache/tag-vocabulary.js';
import { ANALYTIC_COST } from '../security/cost.js';

@Resolver(() => Category)
export class CategoryResolver {
  @Authorized(READERS)
  @Query(() => [Category])
  async categories(@Ctx() ctx: RequestContext) {
    const rows = await ctx.db.selectFrom('categories').selectAll().orderBy('id').execute();
    return rows.map(toCategory);
  }

  @FieldResolver(() => ProductConnection)
  products(
    @Root() category: Category,
    @Ctx() ctx: RequestContext,
    @PageSizeArg('first', 20) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ) {
    return loadCategoryProducts(ctx, category.id, { first, after: decodeCursor(after) });
  }

  @Cached({ ttl: 600, swr: 60, cost: ANALYTIC_COST, scope: 'PRIVATE', tags: [readTag.sales('args.range')] })
  @FieldResolver(() => CategoryPerformance, { description: 'Sales in the range over the stores the key may see' })
  performance(@Root() category: Category, @Ctx() ctx: RequestContext, @Arg('range', () => DateRange) range: DateRange) {
    return loadCategoryPerformance(ctx, category.id, { range: checkRange(range), storeIds: scopedStoreIds(principalOf(ctx), null) });
  }
}
