import { sql } from 'kysely';
import type { Db } from '../database.js';
import type { DayRange, Granularity, RevenueSeriesRow } from './analytics-types.js';
import { periodSeries, periodStart, uniqueIds } from './date-range.js';
import { dailyRevenueRows } from './view-sources.js';

export interface StoreRevenueParams {
  storeIds: readonly number[];
  range: DayRange;
  granularity: Granularity;
  /** aggregate_state.covered_until, read once per request (readCoveredUntil). */
  coveredUntil: string;
}

interface Row {
  store_id: number;
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
 * Revenue series of many stores in one statement (backs the Store.revenue DataLoader).
 * Every requested store gets a series: stores × periods is zero-filled in SQL, so a
 * store without orders gets zero points. Money is rounded to cents in SQL; totals are
 * window sums over the same rows so they always add up to the points.
 */
export async function storeRevenue(db: Db, params: StoreRevenueParams): Promise<Map<number, RevenueSeriesRow>> {
  const { range, granularity, coveredUntil } = params;
  const storeIds = uniqueIds(params.storeIds);
  const series = new Map<number, RevenueSeriesRow>();
  if (storeIds.length === 0) return series;
  for (const id of storeIds) series.set(id, { total: 0, orders: 0, items: 0, averageTicket: 0, points: [] });

  const { rows } = await sql<Row>`
    WITH agg AS (
      SELECT src.store_id, ${periodStart(sql.ref('src.day'), granularity)} AS period,
             sum(src.revenue) AS revenue, sum(src.orders) AS orders, sum(src.items) AS items
        FROM ${dailyRevenueRows({ bounds: range, storeIds, coveredUntil })} AS src
       GROUP BY 1, 2
    ), grid AS (
      SELECT s.store_id, p.period,
             coalesce(a.revenue, 0) AS revenue, coalesce(a.orders, 0) AS orders, coalesce(a.items, 0) AS items
        FROM unnest(${storeIds}::int[]) AS s(store_id)
       CROSS JOIN (${periodSeries(range, granularity)}) AS p
        LEFT JOIN agg a ON a.store_id = s.store_id AND a.period = p.period
    )
    SELECT store_id, period, round(revenue, 2) AS revenue, orders::int AS orders, items::int AS items,
           round(sum(revenue) OVER w, 2) AS total,
           (sum(orders) OVER w)::int AS total_orders,
           (sum(items) OVER w)::int AS total_items,
           coalesce(round(sum(revenue) OVER w / nullif(sum(orders) OVER w, 0), 2), 0) AS average_ticket
      FROM grid
    WINDOW w AS (PARTITION BY store_id)
     ORDER BY store_id, period
  `.execute(db);

  for (const row of rows) {
    const entry = series.get(row.store_id)!;
    entry.total = row.total;
    entry.orders = row.total_orders;
    entry.items = row.total_items;
    entry.averageTicket = row.average_ticket;
    entry.points.push({ period: row.period, revenue: row.revenue, orders: row.orders, items: row.items });
  }
  return series;
}
