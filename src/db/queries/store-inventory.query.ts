import { sql } from 'kysely';
import type { Db } from '../database.js';
import type { InventoryRow, InventoryStatus } from './analytics-types.js';
import { assertCount, uniqueIds } from './date-range.js';
import { inventoryStatusSql, selectInventoryRows } from './inventory-rows.js';

export interface StoreInventoryParams {
  storeIds: readonly number[];
  status: 'ALL' | InventoryStatus;
  /** Rows per store, lowest product ids first; callers cap it (API default 50). */
  first: number;
  /** 'YYYY-MM-DD' (UTC): the last day of the 28-day sales window behind daysOfCover. */
  today: string;
  /**
   * aggregate_state.covered_until as read for the request (readCoveredUntil). Optional:
   * when absent the statement reads it itself, at the cost of a worse plan on big data.
   */
  coveredUntil?: string;
}

const STATUSES = new Set(['ALL', 'OK', 'LOW', 'OUT']);

/**
 * Per store the first `first` inventory rows by product id whose status matches, for
 * many stores in one statement (Store.inventory). A LATERAL LIMIT per store walks the
 * (store_id, product_id) primary key, so only returned rows are read; days of cover
 * come from the last 28 days of completed sales (see inventory-rows.ts).
 */
export async function storeInventory(db: Db, params: StoreInventoryParams): Promise<Map<number, InventoryRow[]>> {
  if (!STATUSES.has(params.status)) throw new RangeError(`Unknown inventory status ${JSON.stringify(params.status)}`);
  const storeIds = uniqueIds(params.storeIds);
  const first = assertCount('first', params.first);
  const inventory = new Map<number, InventoryRow[]>(storeIds.map((id) => [id, []]));
  if (storeIds.length === 0 || first === 0) return inventory;

  const statusFilter = params.status === 'ALL' ? sql`` : sql`AND ${inventoryStatusSql('l')} = ${params.status}`;
  const picked = sql`
    SELECT i.store_id, i.product_id, i.on_hand, i.reorder_point
      FROM unnest(${storeIds}::int[]) AS s(id)
     CROSS JOIN LATERAL (
       SELECT l.* FROM inventory_levels l
        WHERE l.store_id = s.id ${statusFilter}
        ORDER BY l.product_id
        LIMIT ${first}
     ) AS i`;
  const rows = await selectInventoryRows(db, {
    picked,
    storeIds,
    productIds: null,
    today: params.today,
    coveredUntil: params.coveredUntil,
  });
  for (const row of rows) inventory.get(row.storeId)!.push(row);
  return inventory;
}
