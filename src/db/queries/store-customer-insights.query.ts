import { sql } from 'kysely';
import type { Db } from '../database.js';
import type { CustomerInsightsRow, DayRange } from './analytics-types.js';
import { uniqueIds } from './date-range.js';
import { customerBehaviorRows } from './view-sources.js';

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
 * Only completed orders of known customers count. The source is open at the start:
 * "before the range" is every earlier day, also ones older than the demo window.
 *  - range customers: a completed order at the store in the range;
 *  - new: a range customer with no completed order at the store before the range;
 *  - returning: the other range customers (new + returning = range customers);
 *  - repeatRate: range customers with >= 2 completed orders in the range / range
 *    customers, 4 decimals;
 *  - averageLifetimeValue: mean of each range customer's completed spend at the store
 *    up to the range's end, cents.
 * A store without range customers gets zeros.
 */
export async function storeCustomerInsights(db: Db, params: StoreCustomerInsightsParams): Promise<Map<number, CustomerInsightsRow>> {
  const storeIds = uniqueIds(params.storeIds);
  const insights = new Map<number, CustomerInsightsRow>(
    storeIds.map((id) => [id, { newCustomers: 0, returningCustomers: 0, repeatRate: 0, averageLifetimeValue: 0 }]),
  );
  if (storeIds.length === 0) return insights;

  const { from, to } = params.range;
  const source = customerBehaviorRows({ bounds: { to }, storeIds, coveredUntil: params.coveredUntil });
  const { rows } = await sql<Row>`
    WITH per_customer AS (
      SELECT store_id, customer_id,
             coalesce(sum(orders) FILTER (WHERE day >= ${from}::date), 0) AS orders_in_range,
             bool_or(day < ${from}::date) AS ordered_before,
             sum(revenue) AS spend
        FROM ${source} AS src
       GROUP BY 1, 2
    )
    SELECT store_id,
           count(*) FILTER (WHERE NOT ordered_before)::int AS new_customers,
           count(*) FILTER (WHERE ordered_before)::int AS returning_customers,
           round(count(*) FILTER (WHERE orders_in_range >= 2)::numeric / count(*), 4) AS repeat_rate,
           round(avg(spend), 2) AS average_lifetime_value
      FROM per_customer
     WHERE orders_in_range > 0
     GROUP BY 1
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
