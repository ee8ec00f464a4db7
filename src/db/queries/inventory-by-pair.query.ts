import { sql } from 'kysely';
import type { Db } from '../database.js';
import type { InventoryRow } from './analytics-types.js';
import { uniqueIds } from './date-range.js';
import { selectInventoryRows } from './inventory-rows.js';

export interface InventoryByPairParams {
  pairs: ReadonlyArray<{ storeId: number; productId: number }>;
  /** 'YYYY-MM-DD' (UTC): the last day of the 28-day sales window behind daysOfCover. */
  today: string;
  /**
   * aggregate_state.covered_until as read for the request (readCoveredUntil). Optional:
   * when absent the statement reads it itself, at the cost of a worse plan on big data.
   */
  coveredUntil?: string;
}

/** The map key of a (store, product) pair. */
export function inventoryPairKey(storeId: number, productId: number): string {
  return `${storeId}:${productId}`;
}

/**
 * Inventory rows of many (store, product) pairs in one statement (Product.inventory).
 * Keyed `${storeId}:${productId}`; a pair without an inventory_levels row is absent
 * (the field is nullable). Duplicate pairs are looked up once.
 */
export async function inventoryByPair(db: Db, params: InventoryByPairParams): Promise<Map<string, InventoryRow>> {
  const unique = new Map(params.pairs.map((pair) => [inventoryPairKey(pair.storeId, pair.productId), pair]));
  const result = new Map<string, InventoryRow>();
  if (unique.size === 0) return result;

  const pairs = [...unique.values()];
  const storeIds = pairs.map((pair) => pair.storeId);
  const productIds = pairs.map((pair) => pair.productId);
  const picked = sql`
    SELECT i.store_id, i.product_id, i.on_hand, i.reorder_point
      FROM unnest(${storeIds}::int[], ${productIds}::int[]) AS k(store_id, product_id)
      JOIN inventory_levels i ON i.store_id = k.store_id AND i.product_id = k.product_id`;
  const rows = await selectInventoryRows(db, {
    picked,
    storeIds: uniqueIds(storeIds),
    productIds: uniqueIds(productIds),
    today: params.today,
    coveredUntil: params.coveredUntil,
  });
  for (const row of rows) result.set(inventoryPairKey(row.storeId, row.productId), row);
  return result;
}
