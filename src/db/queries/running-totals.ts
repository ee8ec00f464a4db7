import { sql, type RawBuilder } from 'kysely';
import type { DayRange } from './analytics-types.js';
import { baseTimes, idFilter, lastViewDay, type CoveredUntil } from './date-range.js';
import { rangeDayCount } from '../../days.js';

/**
 * Range sources built on the running-total views (migration 003_query_fit). A view row
 * at day d holds totals over every day up to d, so the range [from, last] is the row at
 * `last` minus the row at `from - 1`: the cost no longer grows with the range. `last` is
 * the range's end or the day before the watermark, whichever is earlier; the days from
 * the watermark on come from the base tables as before (docs/query-plans.md: closed days from the
 * views, today from the base tables). Rows carry signed amounts: only their sum per key
 * means anything, and it equals the plain aggregate over the base tables.
 */
export interface RangeFilter {
  range: DayRange;
  /** null = every store. */
  storeIds: readonly number[] | null;
  coveredUntil: CoveredUntil;
}

export interface ProductSalesRow {
  store_id: number;
  product_id: number;
  units: number;
  revenue: number;
  cost: number;
}

/**
 * Rows whose sum per (store, product) is the completed units, revenue and cost of the
 * range: at most two view rows per pair (mv_product_sales_to_date is dense, so the
 * running total at a day is an equality lookup on its (day, store_id, product_id) key)
 * plus one row per order line after the watermark. Pairs without sales in the range may
 * appear with zero sums. `productIds` narrows both halves (null = every product).
 */
export function productSalesInRange(f: RangeFilter & { productIds: readonly number[] | null }): RawBuilder<ProductSalesRow> {
  const first = sql`${f.range.from}::date`;
  const last = lastViewDay(f.range.to, f.coveredUntil);
  const signed = (column: string) => sql`CASE WHEN day = ${last} THEN ${sql.ref(column)} ELSE -${sql.ref(column)} END`;
  return sql<ProductSalesRow>`(
    SELECT store_id, product_id, ${signed('units')} AS units, ${signed('revenue')} AS revenue, ${signed('cost')} AS cost
      FROM mv_product_sales_to_date
     WHERE day = ANY(ARRAY[${first} - 1, ${last}]) AND ${first} <= ${last}
           ${idFilter('store_id', f.storeIds)} ${idFilter('product_id', f.productIds)}
    UNION ALL
    SELECT o.store_id, oi.product_id, oi.quantity::bigint AS units,
           oi.quantity * oi.unit_price AS revenue, oi.quantity * oi.unit_cost AS cost
      FROM orders o
      JOIN order_items oi ON oi.order_id = o.id
     WHERE o.status = 'COMPLETED' AND ${baseTimes('o.placed_at', f.range, f.coveredUntil)}
           ${idFilter('o.store_id', f.storeIds)} ${idFilter('oi.product_id', f.productIds)}
  )`;
}

export interface WeekdayTrafficRow {
  store_id: number;
  /** ISO day of week, 1 (Monday) .. 7 (Sunday). */
  day_of_week: number;
  hour: number;
  orders: number;
  revenue: number;
}

/** Below this many days a range reads its days from mv_hourly_traffic: fewer rows than two weeks of running totals. */
const SHORT_RANGE_DAYS = 14;

/**
 * Rows whose sum per (store, ISO day of week, hour) is the range's completed orders and
 * revenue. mv_hourly_traffic_to_date sums each (store, hour) over the days of one weekday,
 * so the last 7 view days of the range give each weekday's running total at its end and
 * the 7 days before `from` the one to subtract (a day in both windows cancels out):
 * 2 x 7 x 24 view rows per store whatever the range. Ranges shorter than two weeks read
 * their days from mv_hourly_traffic instead. Days from the watermark on: one row per
 * completed order.
 */
export function weekdayTrafficInRange(f: RangeFilter): RawBuilder<WeekdayTrafficRow> {
  const first = sql`${f.range.from}::date`;
  const last = lastViewDay(f.range.to, f.coveredUntil);
  const stores = idFilter('store_id', f.storeIds);
  const days = rangeDayCount(f.range);
  const fromView =
    days < SHORT_RANGE_DAYS
      ? sql`
    SELECT store_id, extract(isodow FROM day)::int AS day_of_week, hour, orders, revenue
      FROM mv_hourly_traffic
     WHERE day BETWEEN ${first} AND ${last} ${stores}`
      : sql`
    SELECT store_id, day_of_week, hour, orders, revenue
      FROM mv_hourly_traffic_to_date
     WHERE day BETWEEN ${last} - 6 AND ${last} AND ${first} <= ${last} ${stores}
    UNION ALL
    SELECT store_id, day_of_week, hour, -orders, -revenue
      FROM mv_hourly_traffic_to_date
     WHERE day BETWEEN ${first} - 7 AND ${first} - 1 AND ${first} <= ${last} ${stores}`;
  return sql<WeekdayTrafficRow>`(${fromView}
    UNION ALL
    SELECT store_id, extract(isodow FROM placed_at AT TIME ZONE 'UTC')::int AS day_of_week,
           extract(hour FROM placed_at AT TIME ZONE 'UTC')::int AS hour, 1 AS orders, total AS revenue
      FROM orders
     WHERE status = 'COMPLETED' AND ${baseTimes('placed_at', f.range, f.coveredUntil)} ${stores}
  )`;
}
