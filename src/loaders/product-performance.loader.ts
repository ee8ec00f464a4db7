import type { DayRange, ProductPerformanceRow } from '../db/queries/analytics-types.js';
import { productPerformance } from '../db/queries/product-performance.query.js';
import { analyticLoader } from './analytic-loader.js';

/** storeIds: the caller's scope or the one store asked for (null = all stores). */
export const loadProductPerformance = analyticLoader<{ range: DayRange; storeIds: number[] | null }, ProductPerformanceRow>(
  'productPerformance',
  ({ db, ids, args, coveredUntil }) =>
    productPerformance(db, { productIds: ids, range: args.range, storeIds: args.storeIds, coveredUntil }),
  (productId) => ({ productId, unitsSold: 0, revenue: 0, margin: 0 }),
);
