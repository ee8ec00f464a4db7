import { sql } from 'kysely';
import type { Db } from '../database.js';
import type { InventoryRow } from '../queries/analytics-types.js';
import { selectInventoryRows } from '../queries/inventory-rows.js';

/**
 * Adds `delta` to a stock level atomically and answers with the level this write
 * produced (the UPDATE is the statement's first step, so a concurrent write cannot slip
 * in between). undefined when nothing was updated: no such level, or the result would
 * be below zero (see onHandOf to tell which).
 */
export async function addToStock(
  db: Db,
  change: { storeId: number; productId: number; delta: number; today: string },
): Promise<InventoryRow | undefined> {
  const [level] = await selectInventoryRows(db, {
    picked: sql`
      UPDATE inventory_levels SET on_hand = on_hand + ${change.delta}, updated_at = now()
       WHERE store_id = ${change.storeId} AND product_id = ${change.productId} AND on_hand + ${change.delta} >= 0
       RETURNING store_id, product_id, on_hand, reorder_point`,
    storeIds: [change.storeId],
    productIds: [change.productId],
    today: change.today,
  });
  return level;
}

/** Stock on hand of a store/product pair; null when the pair has no inventory level. */
export async function onHandOf(db: Db, storeId: number, productId: number): Promise<number | null> {
  const current = await db
    .selectFrom('inventory_levels')
    .select('on_hand')
    .where('store_id', '=', storeId)
    .where('product_id', '=', productId)
    .executeTakeFirst();
  return current ? current.on_hand : null;
}
