import type { CategoryPerformanceRow, DayRange } from '../db/queries/analytics-types.js';
import { categoryPerformance } from '../db/queries/category-performance.query.js';
import { analyticLoader } from './analytic-loader.js';

export const loadCategoryPerformance = analyticLoader<{ range: DayRange; storeIds: number[] | null }, CategoryPerformanceRow>(
  'categoryPerformance',
  async ({ db, ids, args, coveredUntil }) => {
    const rows = await categoryPerformance(db, { categoryIds: ids, range: args.range, storeIds: args.storeIds, coveredUntil });
    return new Map(rows.map((row) => [row.categoryId, row]));
  },
  (categoryId) => ({ categoryId, revenue: 0, unitsSold: 0, share: 0 }),
);
