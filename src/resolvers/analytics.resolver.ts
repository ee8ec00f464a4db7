import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import { scopedStoreIds } from '../auth/principal.js';
import type { RequestContext } from '../context.js';
import { categoryPerformance } from '../db/queries/category-performance.query.js';
import { combinedRevenue } from '../db/queries/combined-revenue.query.js';
import { coveredUntil } from '../loaders/analytic-loader.js';
import { checkRange, PageSizeArg, parseIds } from '../schema/arguments.js';
import { principalOf, READERS } from '../schema/auth-checker.js';
import { Granularity } from '../schema/enums.js';
import { DateRange } from '../schema/inputs/date-range.input.js';
import { CategoryPerformance } from '../schema/types/category-performance.type.js';
import { RevenueSeries } from '../schema/types/revenue-series.type.js';
import { Cached } from '../schema/directives/cached.directive.js';
import { readTag } from '../cache/tag-vocabulary.js';
import { ANALYTIC_COST } from '../security/cost.js';

/** Chain-wide analytics: one statement each, over the requested stores or the key's scope. */
@Resolver()
export class AnalyticsResolver {
  @Authorized(READERS)
  @Cached({ ttl: 300, swr: 60, cost: ANALYTIC_COST, scope: 'PRIVATE', tags: [readTag.sales('args.range')] })
  @Query(() => RevenueSeries, { description: 'Revenue of the given stores added together (default: every store the key may see)' })
  async revenueMetrics(
    @Ctx() ctx: RequestContext,
    @Arg('range', () => DateRange) range: DateRange,
    @Arg('storeIds', () => [ID], { nullable: true }) storeIds?: string[] | null,
    @Arg('granularity', () => Granularity, { nullable: true, defaultValue: Granularity.DAY }) granularity = Granularity.DAY,
  ) {
    const stores = scopedStoreIds(principalOf(ctx), storeIds ? parseIds(storeIds, 'storeIds') : null);
    return combinedRevenue(ctx.db, {
      storeIds: stores,
      range: checkRange(range),
      granularity: granularity ?? Granularity.DAY,
      coveredUntil: await coveredUntil(ctx),
    });
  }

  @Authorized(READERS)
  @Cached({ ttl: 600, swr: 60, cost: ANALYTIC_COST, scope: 'PRIVATE', tags: [readTag.sales('args.range')] })
  @Query(() => [CategoryPerformance], { description: 'Categories by revenue in the range, over the stores the key may see' })
  async categoryLeaderboard(
    @Ctx() ctx: RequestContext,
    @Arg('range', () => DateRange) range: DateRange,
    @PageSizeArg('limit', 10, { min: 1 }) limit: number,
  ) {
    const rows = await categoryPerformance(ctx.db, {
      categoryIds: null,
      range: checkRange(range),
      storeIds: scopedStoreIds(principalOf(ctx), null),
      coveredUntil: await coveredUntil(ctx),
    });
    return rows.slice(0, limit);
  }
}
