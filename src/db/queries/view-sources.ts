import { sql, type RawBuilder } from 'kysely';
import type { DailyRevenueView, ProductPerformanceView } from '../tables.js';
import { baseTimes, idFilter, utcDate, viewDays, type CoveredUntil, type DayBounds } from './date-range.js';

/**
 * Day-by-day sources (running-totals.ts has the range sources that the product and
 * traffic questions use). Each yields a parenthesised subquery of view-shaped rows: the
 * view's rows for days before the watermark UNION ALL the same grouping computed from
 * the base tables for days from the watermark on. Summing these rows over any day range
 * therefore equals summing the base tables (the views are an optimisation,
 * never a different truth). Days are disjoint between the two halves, so nothing is
 * counted twice.
 */
export interface SourceFilter {
  bounds: DayBounds;
  /** null = every store. */
  storeIds: readonly number[] | null;
  coveredUntil: CoveredUntil;
}

export function dailyRevenueRows(f: SourceFilter): RawBuilder<DailyRevenueView> {
  return sql<DailyRevenueView>`(
    SELECT store_id, day, revenue, orders, items
      FROM mv_daily_revenue
     WHERE ${viewDays('day', f.bounds, f.coveredUntil)} ${idFilter('store_id', f.storeIds)}
    UNION ALL
    SELECT store_id, ${utcDate('placed_at')} AS day, sum(total) AS revenue,
           count(*)::int AS orders, sum(item_count)::int AS items
      FROM orders
     WHERE status = 'COMPLETED' AND ${baseTimes('placed_at', f.bounds, f.coveredUntil)} ${idFilter('store_id', f.storeIds)}
     GROUP BY 1, 2
  )`;
}

/**
 * `productIds` narrows both halves (null = every product). Per-day rows for callers that
 * need them (reports); a sum over a range is cheaper through productSalesInRange.
 */
export function productPerformanceRows(f: SourceFilter & { productIds: readonly number[] | null }): RawBuilder<ProductPerformanceView> {
  return sql<ProductPerformanceView>`(
    SELECT store_id, product_id, day, units, revenue, cost
      FROM mv_product_performance
     WHERE ${viewDays('day', f.bounds, f.coveredUntil)} ${idFilter('store_id', f.storeIds)} ${idFilter('product_id', f.productIds)}
    UNION ALL
    SELECT o.store_id, oi.product_id, ${utcDate('o.placed_at')} AS day,
           sum(oi.quantity)::int AS units,
           sum(oi.quantity * oi.unit_price) AS revenue,
           sum(oi.quantity * oi.unit_cost) AS cost
      FROM orders o
      JOIN order_items oi ON oi.order_id = o.id
     WHERE o.status = 'COMPLETED' AND ${baseTimes('o.placed_at', f.bounds, f.coveredUntil)}
           ${idFilter('o.store_id', f.storeIds)} ${idFilter('oi.product_id', f.productIds)}
     GROUP BY 1, 2, 3
  )`;
}
