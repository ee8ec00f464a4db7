import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { coveredUntilNow } from '../../db/queries/date-range.js';
import { selectInventoryRows } from '../../db/queries/inventory-rows.js';
import { utcDayOf } from '../../days.js';
import { dailyRevenueRows, productPerformanceRows } from '../../db/queries/view-sources.js';
import type { DateRangeData, ReportKindName } from '../job-kinds.js';
import type { CsvValue } from './csv.js';

export interface ReportTable {
  header: string[];
  rows: CsvValue[][];
}

export interface ReportParams {
  range: DateRangeData;
  /** null = every store. */
  storeIds: number[] | null;
}

/**
 * The rows of each report kind. Sales come from the same view-or-base sources as the
 * API's analytics (view-sources.ts), so a report always agrees with the dashboards.
 */
export async function reportRows(db: Db, kind: ReportKindName, params: ReportParams): Promise<ReportTable> {
  switch (kind) {
    case 'DAILY_SALES':
      return dailySales(db, params);
    case 'PRODUCT_PERFORMANCE':
      return productPerformance(db, params);
    case 'INVENTORY':
      return inventory(db, params);
  }
}

async function dailySales(db: Db, { range, storeIds }: ReportParams): Promise<ReportTable> {
  const source = dailyRevenueRows({ bounds: range, storeIds, coveredUntil: coveredUntilNow });
  const { rows } = await sql<{ day: string; store_id: number; store: string; orders: number; items: number; revenue: number }>`
    SELECT src.day::text AS day, s.id AS store_id, s.name AS store,
           sum(src.orders)::int AS orders, sum(src.items)::int AS items, round(sum(src.revenue), 2) AS revenue
      FROM ${source} AS src JOIN stores s ON s.id = src.store_id
     GROUP BY 1, 2, 3
     ORDER BY 1, 2`.execute(db);
  return {
    header: ['day', 'store_id', 'store', 'orders', 'items', 'revenue'],
    rows: rows.map((r) => [r.day, r.store_id, r.store, r.orders, r.items, r.revenue]),
  };
}

async function productPerformance(db: Db, { range, storeIds }: ReportParams): Promise<ReportTable> {
  const source = productPerformanceRows({ bounds: range, storeIds, productIds: null, coveredUntil: coveredUntilNow });
  const { rows } = await sql<{ id: number; sku: string; name: string; category: string; units: number; revenue: number; margin: number }>`
    WITH agg AS (
      SELECT product_id, sum(units) AS units, sum(revenue) AS revenue, sum(cost) AS cost FROM ${source} AS src GROUP BY 1
    )
    SELECT p.id, p.sku, p.name, c.name AS category, a.units::int AS units,
           round(a.revenue, 2) AS revenue, round(a.revenue - a.cost, 2) AS margin
      FROM agg a JOIN products p ON p.id = a.product_id JOIN categories c ON c.id = p.category_id
     ORDER BY a.revenue DESC, p.id`.execute(db);
  return {
    header: ['product_id', 'sku', 'product', 'category', 'units_sold', 'revenue', 'margin'],
    rows: rows.map((r) => [r.id, r.sku, r.name, r.category, r.units, r.revenue, r.margin]),
  };
}

/** Stock now, with days of cover over the 28 days up to the range's end (or today, if earlier). */
async function inventory(db: Db, { range, storeIds }: ReportParams): Promise<ReportTable> {
  const stores = await db
    .selectFrom('stores')
    .select(['id', 'name'])
    .$if(storeIds !== null, (q) => q.where('id', 'in', storeIds!))
    .orderBy('id')
    .execute();
  const products = new Map((await db.selectFrom('products').select(['id', 'sku', 'name']).execute()).map((p) => [p.id, p]));
  const ids = stores.map((s) => s.id);
  if (ids.length === 0) return { header: INVENTORY_HEADER, rows: [] };
  const today = utcDayOf(new Date());
  const rows = await selectInventoryRows(db, {
    picked: sql`SELECT store_id, product_id, on_hand, reorder_point FROM inventory_levels WHERE store_id = ANY(${ids}::int[])`,
    storeIds: ids,
    productIds: null,
    today: range.to < today ? range.to : today,
  });
  const storeNames = new Map(stores.map((s) => [s.id, s.name]));
  rows.sort((a, b) => a.storeId - b.storeId || a.productId - b.productId);
  return {
    header: INVENTORY_HEADER,
    rows: rows.map((r) => {
      const product = products.get(r.productId);
      return [
        r.storeId,
        storeNames.get(r.storeId) ?? null,
        r.productId,
        product?.sku ?? null,
        product?.name ?? null,
        r.onHand,
        r.reorderPoint,
        r.status,
        r.daysOfCover,
      ];
    }),
  };
}

const INVENTORY_HEADER = ['store_id', 'store', 'product_id', 'sku', 'product', 'on_hand', 'reorder_point', 'status', 'days_of_cover'];
