import { sql } from 'kysely';
import type { Db } from '../database.js';
import type { CustomerInsightsRow, DayRange } from './analytics-types.js';
import { baseTimes, lastViewDay, uniqueIds } from './date-range.js';

export interface StoreCustomerInsightsParams {
  storeIds: readonly number[];
  range: DayRange;
  /** aggregate_state.covered_until, read once per request (readCoveredUntil). */
  coveredUntil: string;
}

interface Row {
  store_id: number;
  new_customers: number;
  returning_customers: number;
  repeat_rate: number;
  average_lifetime_value: number;
}

/**
 * Customer insights of many stores in one statement (Store.customerInsights).
 * Only completed orders of known customers count. "Before the range" is every earlier
 * day, also ones older than the demo window.
 *  - range customers: a completed order at the store in the range;
 *  - new: a range customer with no completed order at the store before the range;
 *  - returning: the other range customers (new + returning = range customers);
 *  - repeatRate: range customers with >= 2 completed orders in the range / range
 *    customers, 4 decimals;
 *  - averageLifetimeValue: mean of each range customer's completed spend at the store
 *    up to the range's end, cents.
 * A store without range customers gets zeros.
 *
 * The range's view rows are read once and never grouped by customer: each row of
 * mv_customer_behavior knows the customer's previous and next order day at the store and
 * their spend there up to its day. A customer's first row in the range (previous day
 * before the range) says new or returning and, with its next day, repeat; their last row
 * in the range (next day after it) holds their spend up to the range's end. Days from the
 * watermark on come from orders, per customer; a customer seen only there gets their
 * history from their last view row before the watermark (one index lookup each).
 */
export async function storeCustomerInsights(db: Db, params: StoreCustomerInsightsParams): Promise<Map<number, CustomerInsightsRow>> {
  const storeIds = uniqueIds(params.storeIds);
  const insights = new Map<number, CustomerInsightsRow>(
    storeIds.map((id) => [id, { newCustomers: 0, returningCustomers: 0, repeatRate: 0, averageLifetimeValue: 0 }]),
  );
  if (storeIds.length === 0) return insights;

  const { from, to } = params.range;
  const covered = params.coveredUntil;
  // The view answers [from, last]; orders answer from the watermark to `to`.
  const last = lastViewDay(to, covered);
  // Days from the watermark on, if the range reaches them; left out otherwise (less to plan).
  const hasBase = to >= covered;
  const basePart = hasBase
    ? sql`
    , in_base AS (
      -- Completed orders from the watermark to the range's end; those before the range are history.
      SELECT store_id, customer_id,
             count(*) FILTER (WHERE placed_at >= (${from}::date::timestamp AT TIME ZONE 'UTC')) AS orders_in_range,
             count(*) FILTER (WHERE placed_at < (${from}::date::timestamp AT TIME ZONE 'UTC')) AS orders_before,
             sum(total) AS spend
        FROM orders
       WHERE status = 'COMPLETED' AND customer_id IS NOT NULL AND store_id = ANY(${storeIds}::int[])
         AND ${baseTimes('placed_at', { to }, covered)}
       GROUP BY 1, 2
    ), base_part AS (
      -- Base orders of the range's customers: their spend counts. For customers with view
      -- rows in the range (v) the view's verdicts stand, a base order making them repeat;
      -- the others are new to the range, their history (h) in their last view row before it.
      SELECT b.store_id,
             count(*) FILTER (WHERE v.seen IS NULL) AS customers,
             count(*) FILTER (WHERE v.seen IS NULL AND h.spend_to_date IS NULL AND b.orders_before = 0) AS fresh,
             count(*) FILTER (WHERE CASE WHEN v.seen THEN NOT v.repeat ELSE b.orders_in_range >= 2 END) AS repeaters,
             sum(b.spend) + coalesce(sum(h.spend_to_date), 0) AS spend
        FROM in_base b
        LEFT JOIN LATERAL (
          SELECT true AS seen, (m.orders >= 2 OR coalesce(m.next_day <= ${last}, false)) AS repeat
            FROM mv_customer_behavior m
           WHERE m.store_id = b.store_id AND m.customer_id = b.customer_id AND m.day >= ${from}::date AND m.day <= ${last}
           ORDER BY m.day
           LIMIT 1
        ) AS v ON true
        LEFT JOIN LATERAL (
          SELECT m.spend_to_date
            FROM mv_customer_behavior m
           WHERE v.seen IS NULL AND m.store_id = b.store_id AND m.customer_id = b.customer_id AND m.day <= ${last}
           ORDER BY m.day DESC
           LIMIT 1
        ) AS h ON true
       WHERE b.orders_in_range > 0
       GROUP BY 1
    )`
    : sql``;
  const { rows } = await sql<Row>`
    WITH view_part AS (
      SELECT store_id,
             -- A customer's first row in the range: previous order day before it.
             count(*) FILTER (WHERE previous_day IS NULL OR previous_day < ${from}::date) AS customers,
             count(*) FILTER (WHERE previous_day IS NULL) AS fresh,
             count(*) FILTER (WHERE (previous_day IS NULL OR previous_day < ${from}::date) AND (orders >= 2 OR next_day <= ${last})) AS repeaters,
             -- A customer's last row in the range: next order day after it; their spend up to it.
             coalesce(sum(spend_to_date) FILTER (WHERE next_day IS NULL OR next_day > ${last}), 0) AS spend
        FROM mv_customer_behavior
       WHERE store_id = ANY(${storeIds}::int[]) AND day >= ${from}::date AND day <= ${last}
       GROUP BY 1
    )${basePart}, parts AS (
      SELECT * FROM view_part ${hasBase ? sql`UNION ALL SELECT * FROM base_part` : sql``}
    )
    SELECT store_id,
           sum(fresh)::int AS new_customers,
           (sum(customers) - sum(fresh))::int AS returning_customers,
           round(sum(repeaters) / sum(customers), 4) AS repeat_rate,
           round(sum(spend) / sum(customers), 2) AS average_lifetime_value
      FROM parts
     GROUP BY 1
    HAVING sum(customers) > 0
  `.execute(db);

  for (const row of rows) {
    insights.set(row.store_id, {
      newCustomers: row.new_customers,
      returningCustomers: row.returning_customers,
      repeatRate: row.repeat_rate,
      averageLifetimeValue: row.average_lifetime_value,
    });
  }
  return insights;
}
