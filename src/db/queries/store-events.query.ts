import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../database.js';
import type { DayRange } from './analytics-types.js';
import { addDays, rangeDayCount } from '../../days.js';

export interface StoreEventsRow {
  visits: number;
  pageViews: number;
  addToCarts: number;
  checkouts: number;
  /** Distinct known customers with any event in the range. */
  activeCustomers: number;
  /** VISIT events per (ISO day of week, hour) cell, UTC, ascending; cells without visits are absent. */
  visitsByHour: Array<{ dayOfWeek: number; hour: number; visits: number }>;
}

export interface StoreEventsParams {
  storeIds: number[];
  range: DayRange;
  /** aggregate_state.covered_until, read once per request (readCoveredUntil). */
  coveredUntil: string;
  /**
   * The first day the event views may answer: the cleanup job deletes events older than
   * the retention window without a refresh, so those days are read from the table.
   */
  viewsFrom: string;
}

/** Below this many view days a range adds up its own days' hours: fewer rows than two weeks of running totals. */
const SHORT_RANGE_DAYS = 14;

/**
 * Everything the API derives from ingested events, per store, in one statement
 * (Store.funnel, the visits of Store.trafficPatterns, Store.customerInsights.activeCustomers).
 *
 * Days from the range's start (or viewsFrom, if later) to the day before the watermark come
 * from the views of migration 005_event_rollups; the other days of the range from the
 * events table (index-only on (store_id, occurred_at) INCLUDE (type, customer_id)):
 *  - the (day of week, hour) grid and the totals by type: mv_event_hourly_to_date, the
 *    last 7 view days' weekday running totals minus the 7 days before the view part (336
 *    rows per store for any range), or the view days' own hours for ranges under two weeks;
 *  - distinct customers: the customer-day rows of the view part whose previous event day
 *    is before it (each customer's first day there, so counted once), plus the table's
 *    customers with no view row in the view part (one index probe each).
 */
export async function storeEvents(db: Db, params: StoreEventsParams): Promise<Map<number, StoreEventsRow>> {
  const { storeIds, range, coveredUntil, viewsFrom } = params;
  const result = new Map<number, StoreEventsRow>();
  if (storeIds.length === 0) return result;

  const first = range.from > viewsFrom ? range.from : viewsFrom;
  const beforeWatermark = addDays(coveredUntil, -1);
  const last = range.to < beforeWatermark ? range.to : beforeWatermark;
  const hasView = first <= last;

  // The range's days the views do not answer: before `first`, after `last` (or all of them).
  const tableDays: DayRange[] = !hasView
    ? [range]
    : [
        ...(range.from < first ? [{ from: range.from, to: addDays(first, -1) }] : []),
        ...(last < range.to ? [{ from: addDays(last, 1), to: range.to }] : []),
      ];
  const stores = sql`store_id = ANY(${storeIds}::int[])`;
  const fromTable = tableDays.map(
    (days) => sql`
      SELECT store_id, type, customer_id, occurred_at AT TIME ZONE 'UTC' AS local_at
        FROM events
       WHERE ${stores}
         AND occurred_at >= (${days.from}::date::timestamp AT TIME ZONE 'UTC')
         AND occurred_at < ((${days.to}::date + 1)::timestamp AT TIME ZONE 'UTC')`,
  );
  const hasTable = fromTable.length > 0;

  // Parts are left out of the statement when they have no days: less to plan.
  const hourly: RawBuilder<unknown>[] = [];
  if (hasTable) {
    hourly.push(sql`
      SELECT store_id, date_part('isodow', local_at)::int AS d, date_part('hour', local_at)::int AS h,
             (type = 'VISIT')::int AS visits, (type = 'PAGE_VIEW')::int AS page_views,
             (type = 'ADD_TO_CART')::int AS add_to_carts, (type = 'CHECKOUT')::int AS checkouts
        FROM from_table`);
  }
  if (hasView && rangeDayCount({ from: first, to: last }) < SHORT_RANGE_DAYS) {
    hourly.push(sql`
      SELECT store_id, day_of_week, hour, visits, page_views, add_to_carts, checkouts
        FROM mv_event_hourly_to_date
       WHERE ${stores} AND day >= ${first}::date AND day <= ${last}::date`);
  } else if (hasView) {
    // Weekday running totals: a day in both windows cancels out.
    hourly.push(sql`
      SELECT store_id, day_of_week, hour, visits_to_date, page_views_to_date, add_to_carts_to_date, checkouts_to_date
        FROM mv_event_hourly_to_date
       WHERE ${stores} AND day >= ${addDays(last, -6)}::date AND day <= ${last}::date
      UNION ALL
      SELECT store_id, day_of_week, hour, -visits_to_date, -page_views_to_date, -add_to_carts_to_date, -checkouts_to_date
        FROM mv_event_hourly_to_date
       WHERE ${stores} AND day >= ${addDays(first, -7)}::date AND day <= ${addDays(first, -1)}::date`);
  }

  const active: RawBuilder<unknown>[] = [];
  if (hasView) {
    active.push(sql`
      SELECT store_id, count(*) AS n
        FROM mv_event_customer_days
       WHERE ${stores} AND day >= ${first}::date AND day <= ${last}::date AND (previous_day IS NULL OR previous_day < ${first}::date)
       GROUP BY 1`);
  }
  if (hasTable && hasView) {
    // The table's customers without a view row in the view part.
    active.push(sql`
      SELECT store_id, count(*) AS n
        FROM (SELECT DISTINCT store_id, customer_id FROM from_table WHERE customer_id IS NOT NULL) AS known
       WHERE NOT EXISTS (
               SELECT 1 FROM mv_event_customer_days m
                WHERE m.store_id = known.store_id AND m.customer_id = known.customer_id AND m.day >= ${first}::date AND m.day <= ${last}::date)
       GROUP BY 1`);
  } else if (hasTable) {
    active.push(sql`SELECT store_id, count(DISTINCT customer_id) AS n FROM from_table WHERE customer_id IS NOT NULL GROUP BY 1`);
  }

  const { rows } = await sql<{
    store_id: number;
    visits: number;
    page_views: number;
    add_to_carts: number;
    checkouts: number;
    active_customers: number;
    cells: Array<[number, number, number]> | null;
  }>`
    WITH ${hasTable ? sql`from_table AS NOT MATERIALIZED (${sql.join(fromTable, sql` UNION ALL `)}),` : sql``}
    cells AS (
      SELECT store_id, d, h, sum(visits) AS visits, sum(page_views) AS page_views, sum(add_to_carts) AS add_to_carts, sum(checkouts) AS checkouts
        FROM (${sql.join(hourly, sql` UNION ALL `)}) AS src (store_id, d, h, visits, page_views, add_to_carts, checkouts)
       GROUP BY 1, 2, 3
    ), totals AS (
      SELECT store_id,
             sum(visits)::int AS visits, sum(page_views)::int AS page_views,
             sum(add_to_carts)::int AS add_to_carts, sum(checkouts)::int AS checkouts,
             json_agg(json_build_array(d, h, visits) ORDER BY d, h) FILTER (WHERE visits > 0) AS cells
        FROM cells GROUP BY 1
      -- A store with view rows but no event in the range is left out, like one without view rows.
      HAVING sum(visits) + sum(page_views) + sum(add_to_carts) + sum(checkouts) > 0
    ), active AS (
      SELECT store_id, sum(n)::int AS active_customers FROM (${sql.join(active, sql` UNION ALL `)}) AS parts GROUP BY 1
    )
    SELECT t.store_id, t.visits, t.page_views, t.add_to_carts, t.checkouts, coalesce(a.active_customers, 0) AS active_customers, t.cells
      FROM totals t
      LEFT JOIN active a USING (store_id)`.execute(db);

  for (const r of rows) {
    result.set(r.store_id, {
      visits: r.visits,
      pageViews: r.page_views,
      addToCarts: r.add_to_carts,
      checkouts: r.checkouts,
      activeCustomers: r.active_customers,
      visitsByHour: (r.cells ?? []).map(([dayOfWeek, hour, visits]) => ({ dayOfWeek, hour, visits })),
    });
  }
  return result;
}
