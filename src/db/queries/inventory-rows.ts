import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../database.js';
import type { InventoryRow, InventoryStatus } from './analytics-types.js';
import { addDays } from '../../days.js';
import { coveredUntilNow } from './date-range.js';
import { productSalesInRange } from './running-totals.js';

/**
 * Shared by storeInventory and inventoryByPair: turns a selection of inventory_levels
 * rows into InventoryRows with status and days of cover, in the caller's one statement.
 */

/** Days of sales history behind daysOfCover: `today` and the 27 days before it. */
export const COVER_WINDOW_DAYS = 28;

/** The status rule as SQL over an inventory_levels alias; OUT wins over LOW when reorder_point is 0. */
export function inventoryStatusSql(alias: string): RawBuilder<InventoryStatus> {
  const onHand = sql.ref(`${alias}.on_hand`);
  const reorderPoint = sql.ref(`${alias}.reorder_point`);
  return sql<InventoryStatus>`CASE WHEN ${onHand} = 0 THEN 'OUT' WHEN ${onHand} <= ${reorderPoint} THEN 'LOW' ELSE 'OK' END`;
}

export interface InventorySelection {
  /** SELECT store_id, product_id, on_hand, reorder_point … — the rows to return. */
  picked: RawBuilder<unknown>;
  /** Narrow the sales scan; the union of the picked rows' ids (null = every product). */
  storeIds: readonly number[];
  productIds: readonly number[] | null;
  today: string;
  /** The request's watermark; absent = read inside the statement (see selectInventoryRows). */
  coveredUntil?: string;
}

interface Row {
  store_id: number;
  product_id: number;
  on_hand: number;
  reorder_point: number;
  status: InventoryStatus;
  days_of_cover: number | null;
}

/**
 * Runs the one statement. Sales come from productSalesInRange (running totals plus base
 * rows: completed units, equal to the base tables). Without a given watermark it is read
 * inside the statement (still one statement, consistent with the views it sees), but then
 * the planner cannot know how many base orders follow it and may pick a poor join;
 * callers that hold the request's watermark should pass it.
 * daysOfCover = on_hand / (units sold in the window / 28), 1 decimal; null without sales.
 */
export async function selectInventoryRows(db: Db, selection: InventorySelection): Promise<InventoryRow[]> {
  const sold = productSalesInRange({
    range: { from: addDays(selection.today, -(COVER_WINDOW_DAYS - 1)), to: selection.today },
    storeIds: selection.storeIds,
    productIds: selection.productIds,
    coveredUntil: selection.coveredUntil ?? coveredUntilNow,
  });
  // picked is MATERIALIZED: the planner cannot estimate a status filter (a CASE) and,
  // with picked inlined, rescanned the whole sales aggregate once per store.
  const { rows } = await sql<Row>`
    WITH picked AS MATERIALIZED (${selection.picked}),
    sold AS (
      SELECT store_id, product_id, sum(units) AS units FROM ${sold} AS src GROUP BY 1, 2
    )
    SELECT p.store_id, p.product_id, p.on_hand, p.reorder_point, ${inventoryStatusSql('p')} AS status,
           CASE WHEN coalesce(s.units, 0) = 0 THEN NULL
                ELSE round(p.on_hand * ${COVER_WINDOW_DAYS}::numeric / s.units, 1) END AS days_of_cover
      FROM picked p
      LEFT JOIN sold s ON s.store_id = p.store_id AND s.product_id = p.product_id
     ORDER BY p.store_id, p.product_id
  `.execute(db);
  return rows.map((row) => ({
    storeId: row.store_id,
    productId: row.product_id,
    onHand: row.on_hand,
    reorderPoint: row.reorder_point,
    status: row.status,
    daysOfCover: row.days_of_cover,
  }));
}
