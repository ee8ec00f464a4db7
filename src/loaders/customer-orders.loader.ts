import { sql, type Selectable } from 'kysely';
import type { OrdersTable } from '../db/tables.js';
import { toOrder } from './entity-mappers.js';
import { childPageLoader } from './child-page.loader.js';

/** A customer's orders, newest first, only at stores the caller may see. */
export const loadCustomerOrders = childPageLoader(
  'customerOrders',
  (customerIds, ctx) => {
    const scope = ctx.principal ? ctx.principal.storeIds : [];
    const storeFilter = scope === null ? sql`TRUE` : sql`o.store_id = ANY(${[...scope]})`;
    return sql`SELECT o.*, o.customer_id AS parent_id FROM orders o WHERE o.customer_id = ANY(${customerIds}) AND ${storeFilter}`;
  },
  'desc',
  (row: Selectable<OrdersTable>) => toOrder(row),
);
