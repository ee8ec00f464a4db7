import { sql } from 'kysely';
import type { Db } from '../database.js';
import type { DayRange, Granularity, RevenueSeriesRow } from './analytics-types.js';
import { periodSeries, periodStart, uniqueIds } from './date-range.js';
import { dailyRevenueRows } from './view-sources.js';

export interface CombinedRevenueParams {
  /** null = every store; [] = no store (a zero series). */
  storeIds: readonly number[] | null;
  range: DayRange;
  granularity: Granularity;
  /** aggregate_state.covered_until, read once per request (readCoveredUntil). */
  coveredUntil: string;
}

interface Row {
  period: string;
  revenue: number;
  orders: number;
  items: number;
  total: number;
  total_orders: number;
  total_items: number;
  average_ticket: number;
}

/**
 * One series for the given stores added together (Query.revenueMetrics). Same shape and
 * rounding as storeRevenue: zero-filled periods, cents rounded in SQL, totals as window
 * sums over the points so they agree.
 */
export async function combinedRevenue(db: Db, params: CombinedRevenueParams): Promise<RevenueSeriesRow> {
  const { range, granularity, coveredUntil } = params;
  const storeIds = params.storeIds === null ? null : uniqueIds(params.storeIds);

  const { rows } = await sql<Row>`
    WITH agg AS (
      SELECT ${periodStart(sql.ref('src.day'), granularity)} AS period,
             sum(src.revenue) AS revenue, sum(src.orders) AS orders, sum(src.items) AS items
        FROM ${dailyRevenueRows({ bounds: range, storeIds, coveredUntil })} AS src
       GROUP BY 1
    ), grid AS (
      SELECT p.period, coalesce(a.revenue, 0) AS revenue, coalesce(a.orders, 0) AS orders, coalesce(a.items, 0) AS items
        FROM (${periodSeries(range, granularity)}) AS p
        LEFT JOIN agg a ON a.period = p.period
    )
    SELECT period, round(revenue, 2) AS revenue, orders::int AS orders, items::int AS items,
           round(sum(revenue) OVER (), 2) AS total,
           (sum(orders) OVER ())::int AS total_orders,
           (sum(items) OVER ())::int AS total_items,
           coalesce(round(sum(revenue) OVER () / nullif(sum(orders) OVER (), 0), 2), 0) AS average_ticket
      FROM grid
     ORDER BY period
  `.execute(db);

  const first = rows[0];
  return {
    total: first?.total ?? 0,
    orders: first?.total_orders ?? 0,
    items: first?.total_items ?? 0,
    averageTicket: first?.average_ticket ?? 0,
    points: rows.map((row) => ({ period: row.period, revenue: row.revenue, orders: row.orders, items: row.items })),
  };
}
