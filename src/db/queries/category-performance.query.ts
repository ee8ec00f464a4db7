import { sql } from 'kysely';
import type { Db } from '../database.js';
import type { CategoryPerformanceRow, DayRange } from './analytics-types.js';
import { idFilter, uniqueIds } from './date-range.js';
import { productSalesInRange } from './running-totals.js';

export interface CategoryPerformanceParams {
  /** null = every category. */
  categoryIds: readonly number[] | null;
  range: DayRange;
  /** null = every store. */
  storeIds: readonly number[] | null;
  /** aggregate_state.covered_until, read once per request (readCoveredUntil). */
  coveredUntil: string;
}

interface Row {
  category_id: number;
  revenue: number;
  units: number;
  share: number;
}

/**
 * Completed revenue, units and revenue share of categories in one statement
 * (Category.performance, Query.categoryLeaderboard). The share's denominator is the
 * revenue of ALL categories over the same stores and range, whichever categories were
 * asked for, so a category's share does not depend on its batch. Every existing
 * category asked for (all when categoryIds is null) is returned, with zeros when it
 * sold nothing; unknown ids are left out. Sorted by revenue desc, then id asc.
 * Share is rounded to 4 decimals (0 when nothing sold at all).
 */
export async function categoryPerformance(db: Db, params: CategoryPerformanceParams): Promise<CategoryPerformanceRow[]> {
  const categoryIds = params.categoryIds === null ? null : uniqueIds(params.categoryIds);
  if (categoryIds?.length === 0) return [];

  const source = productSalesInRange({
    range: params.range,
    storeIds: params.storeIds === null ? null : uniqueIds(params.storeIds),
    productIds: null,
    coveredUntil: params.coveredUntil,
  });
  const { rows } = await sql<Row>`
    WITH by_category AS (
      SELECT p.category_id, sum(src.units) AS units, sum(src.revenue) AS revenue
        FROM ${source} AS src
        JOIN products p ON p.id = src.product_id
       GROUP BY 1
    ), everything AS (
      SELECT sum(revenue) AS revenue FROM by_category
    )
    SELECT c.id AS category_id,
           round(coalesce(b.revenue, 0), 2) AS revenue,
           coalesce(b.units, 0)::int AS units,
           coalesce(round(b.revenue / nullif(e.revenue, 0), 4), 0) AS share
      FROM categories c
      LEFT JOIN by_category b ON b.category_id = c.id
     CROSS JOIN everything e
     WHERE true ${idFilter('c.id', categoryIds)}
     ORDER BY revenue DESC, c.id
  `.execute(db);

  return rows.map((row) => ({ categoryId: row.category_id, revenue: row.revenue, unitsSold: row.units, share: row.share }));
}
