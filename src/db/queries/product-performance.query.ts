import { sql } from 'kysely';
import type { Db } from '../database.js';
import type { DayRange, ProductPerformanceRow } from './analytics-types.js';
import { uniqueIds } from './date-range.js';
import { productSalesInRange } from './running-totals.js';

export interface ProductPerformanceParams {
  productIds: readonly number[];
  range: DayRange;
  /** null = every store. */
  storeIds: readonly number[] | null;
  /** aggregate_state.covered_until, read once per request (readCoveredUntil). */
  coveredUntil: string;
}

interface Row {
  product_id: number;
  units: number;
  revenue: number;
  margin: number;
}

/**
 * Units, completed revenue and margin of many products over a range in one statement
 * (Product.performance). Every requested id gets a row; products without sales (or
 * unknown ids — the resolver already holds the product) get zeros.
 */
export async function productPerformance(db: Db, params: ProductPerformanceParams): Promise<Map<number, ProductPerformanceRow>> {
  const productIds = uniqueIds(params.productIds);
  const performance = new Map<number, ProductPerformanceRow>(
    productIds.map((id) => [id, { productId: id, unitsSold: 0, revenue: 0, margin: 0 }]),
  );
  if (productIds.length === 0) return performance;

  const source = productSalesInRange({
    range: params.range,
    storeIds: params.storeIds === null ? null : uniqueIds(params.storeIds),
    productIds,
    coveredUntil: params.coveredUntil,
  });
  const { rows } = await sql<Row>`
    SELECT product_id, sum(units)::int AS units, round(sum(revenue), 2) AS revenue, round(sum(revenue) - sum(cost), 2) AS margin
      FROM ${source} AS src
     GROUP BY 1
  `.execute(db);

  for (const row of rows) {
    performance.set(row.product_id, { productId: row.product_id, unitsSold: row.units, revenue: row.revenue, margin: row.margin });
  }
  return performance;
}
