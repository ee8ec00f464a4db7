import { sql } from 'kysely';
import type { Db } from '../database.js';
import { idFilter, uniqueIds } from './date-range.js';

export interface CustomerLifetimeValueParams {
  customerIds: readonly number[];
  /** null = every store. */
  storeIds: readonly number[] | null;
}

interface Row {
  customer_id: number;
  spend: number;
}

/**
 * Completed spend of each customer, all time, in cents, for many customers in one
 * statement (Customer.lifetimeValue); 0 for customers without completed orders.
 * Reads the orders table, not mv_customer_behavior: a customer has few orders and
 * orders_customer_idx (customer_id, placed_at) finds them directly, whereas the view's
 * indexes lead with store_id and an all-stores lookup would scan it. Needs no watermark.
 */
export async function customerLifetimeValue(db: Db, params: CustomerLifetimeValueParams): Promise<Map<number, number>> {
  const customerIds = uniqueIds(params.customerIds);
  const value = new Map<number, number>(customerIds.map((id) => [id, 0]));
  if (customerIds.length === 0) return value;

  const storeIds = params.storeIds === null ? null : uniqueIds(params.storeIds);
  const { rows } = await sql<Row>`
    SELECT customer_id, round(sum(total), 2) AS spend
      FROM orders
     WHERE customer_id = ANY(${customerIds}::int[]) AND status = 'COMPLETED' ${idFilter('store_id', storeIds)}
     GROUP BY 1
  `.execute(db);

  for (const row of rows) value.set(row.customer_id, row.spend);
  return value;
}
