import { sql } from 'kysely';
import type { Db } from '../database.js';
import type { DayRange, Granularity, RevenueSeriesRow } from './analytics-types.js';
import { periodSeries, periodStart, uniqueIds } from './date-range.js';
import { dailyRevenueRows } from './view-sources.js';

/** How revenue is split into series: one per store, or the given stores added together (null = every store). */
export type RevenueSplit = { perStore: true; storeIds: readonly number[] } | { perStore: false; storeIds: readonly number[] | null };

export interface RevenueSeriesParams {
  split: RevenueSplit;
  range: DayRange;
  granularity: Granularity;
  /** aggregate_state.covered_until, read once per request (readCoveredUntil). */
  coveredUntil: string;
}

/** The key of the single series of a combined split. */
export const COMBINED_SERIES = 0;

interface Row {
  series: number;
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
 * Revenue series in one statement: the one home of their shape and rounding, for
 * Store.revenue (per store) and Query.revenueMetrics (combined). Every series gets every
 * period of the range, zero-filled in SQL (a store without orders gets zero points);
 * money is rounded to cents in SQL; totals are window sums over the same points, so they
 * always add up to them. Keyed by store id, or COMBINED_SERIES.
 */
export async function revenueSeries(db: Db, params: RevenueSeriesParams): Promise<Map<number, RevenueSeriesRow>> {
  const { split, range, granularity, coveredUntil } = params;
  const seriesKeys = split.perStore ? uniqueIds(split.storeIds) : [COMBINED_SERIES];
  const storeIds = split.perStore ? seriesKeys : split.storeIds === null ? null : uniqueIds(split.storeIds);
  const series = new Map<number, RevenueSeriesRow>();
  if (seriesKeys.length === 0) return series;
  for (const key of seriesKeys) series.set(key, { total: 0, orders: 0, items: 0, averageTicket: 0, points: [] });
  const seriesOfRow = split.perStore ? sql.ref('src.store_id') : sql.lit(COMBINED_SERIES);

  const { rows } = await sql<Row>`
    WITH agg AS (
      SELECT ${seriesOfRow} AS series, ${periodStart(sql.ref('src.day'), granularity)} AS period,
             sum(src.revenue) AS revenue, sum(src.orders) AS orders, sum(src.items) AS items
        FROM ${dailyRevenueRows({ bounds: range, storeIds, coveredUntil })} AS src
       GROUP BY 1, 2
    ), grid AS (
      SELECT s.series, p.period,
             coalesce(a.revenue, 0) AS revenue, coalesce(a.orders, 0) AS orders, coalesce(a.items, 0) AS items
        FROM unnest(${seriesKeys}::int[]) AS s(series)
       CROSS JOIN (${periodSeries(range, granularity)}) AS p
        LEFT JOIN agg a ON a.series = s.series AND a.period = p.period
    )
    SELECT series, period, round(revenue, 2) AS revenue, orders::int AS orders, items::int AS items,
           round(sum(revenue) OVER w, 2) AS total,
           (sum(orders) OVER w)::int AS total_orders,
           (sum(items) OVER w)::int AS total_items,
           coalesce(round(sum(revenue) OVER w / nullif(sum(orders) OVER w, 0), 2), 0) AS average_ticket
      FROM grid
    WINDOW w AS (PARTITION BY series)
     ORDER BY series, period
  `.execute(db);

  for (const row of rows) {
    const entry = series.get(row.series)!;
    entry.total = row.total;
    entry.orders = row.total_orders;
    entry.items = row.total_items;
    entry.averageTicket = row.average_ticket;
    entry.points.push({ period: row.period, revenue: row.revenue, orders: row.orders, items: row.items });
  }
  return series;
}
