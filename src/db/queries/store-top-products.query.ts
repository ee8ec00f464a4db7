import { sql } from 'kysely';
import type { Db } from '../database.js';
import type { DayRange, ProductPerformanceRow } from './analytics-types.js';
import { assertCount, uniqueIds } from './date-range.js';
import { productSalesInRange } from './running-totals.js';

export interface StoreTopProductsParams {
  storeIds: readonly number[];
  range: DayRange;
  /** Products per store; callers cap it (API: limit, default 10). */
  limit: number;
  /** aggregate_state.covered_until, read once per request (readCoveredUntil). */
  coveredUntil: string;
}

interface Row {
  store_id: number;
  product_id: number;
  units: number;
  revenue: number;
  margin: number;
}

/**
 * Per store the top `limit` products of the range by completed revenue (ties: lower
 * product id first), for many stores in one statement: a row_number() window ranks
 * inside each store. Only products with completed sales in the range compete, so a
 * store may get fewer than `limit` rows (none without sales).
 */
export async function storeTopProducts(db: Db, params: StoreTopProductsParams): Promise<Map<number, ProductPerformanceRow[]>> {
  const storeIds = uniqueIds(params.storeIds);
  const limit = assertCount('limit', params.limit);
  const top = new Map<number, ProductPerformanceRow[]>(storeIds.map((id) => [id, []]));
  if (storeIds.length === 0 || limit === 0) return top;

  const source = productSalesInRange({ range: params.range, storeIds, productIds: null, coveredUntil: params.coveredUntil });
  const { rows } = await sql<Row>`
    WITH agg AS (
      SELECT store_id, product_id, sum(units) AS units, sum(revenue) AS revenue, sum(cost) AS cost
        FROM ${source} AS src
       GROUP BY 1, 2
      HAVING sum(units) > 0
    ), ranked AS (
      SELECT agg.*, row_number() OVER (PARTITION BY store_id ORDER BY revenue DESC, product_id) AS rank
        FROM agg
    )
    SELECT store_id, product_id, units::int AS units, round(revenue, 2) AS revenue, round(revenue - cost, 2) AS margin
      FROM ranked
     WHERE rank <= ${limit}
     ORDER BY store_id, rank
  `.execute(db);

  for (const row of rows) {
    top.get(row.store_id)!.push({ productId: row.product_id, unitsSold: row.units, revenue: row.revenue, margin: row.margin });
  }
  return top;
}
