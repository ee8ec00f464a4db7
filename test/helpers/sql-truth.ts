import { sql } from 'kysely';
import type { Db } from '../../src/db/database.js';

/**
 * The truth the analytics API must equal: plain aggregates over the BASE tables
 * (orders, order_items, customers, inventory_levels), written here independently of
 * src/db/queries and of the materialized views. Money is carried as integer cents
 * (numeric × 100 cast to bigint in SQL), so no float sums creep in.
 */

export interface Range {
  from: string;
  to: string;
}

export type Granularity = 'DAY' | 'WEEK' | 'MONTH';

/** Float money → integer cents, the unit every comparison uses. */
export const cents = (money: number): number => Math.round(money * 100);

const DAY_MS = 86_400_000;

export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The first day of the period holding `day`: itself, its ISO week's Monday, its month's 1st. */
export function periodOf(day: string, granularity: Granularity): string {
  if (granularity === 'DAY') return day;
  if (granularity === 'MONTH') return `${day.slice(0, 7)}-01`;
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return addDays(day, -((weekday + 6) % 7));
}

/** Every period overlapping the range, ascending. */
export function periodsOf(range: Range, granularity: Granularity): string[] {
  const periods: string[] = [];
  for (let day = range.from; day <= range.to; day = addDays(day, 1)) {
    const period = periodOf(day, granularity);
    if (periods.at(-1) !== period) periods.push(period);
  }
  return periods;
}

/** `placed_at` within the inclusive UTC day range, as instant bounds. */
function within(column: string, range: Range) {
  const ref = sql.ref(column);
  return sql`${ref} >= (${range.from}::date::timestamp AT TIME ZONE 'UTC') AND ${ref} < ((${range.to}::date + 1)::timestamp AT TIME ZONE 'UTC')`;
}

function stores(column: string, storeIds: readonly number[] | null) {
  return storeIds === null ? sql`TRUE` : sql`${sql.ref(column)} = ANY(${[...storeIds]}::int[])`;
}

export interface SeriesTruth {
  totalCents: number;
  orders: number;
  items: number;
  averageTicketCents: number;
  points: Array<{ period: string; revenueCents: number; orders: number; items: number }>;
}

/** Completed revenue of the stores (null = all) over the range, bucketed in JS. */
export async function revenueTruth(
  db: Db,
  storeIds: readonly number[] | null,
  range: Range,
  granularity: Granularity,
): Promise<SeriesTruth> {
  const { rows } = await sql<{ day: string; cents: number; orders: number; items: number }>`
    SELECT to_char(placed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
           (sum(total) * 100)::bigint AS cents, count(*)::int AS orders, sum(item_count)::int AS items
      FROM orders
     WHERE status = 'COMPLETED' AND ${within('placed_at', range)} AND ${stores('store_id', storeIds)}
     GROUP BY 1`.execute(db);
  const points = new Map(periodsOf(range, granularity).map((period) => [period, { period, revenueCents: 0, orders: 0, items: 0 }]));
  for (const row of rows) {
    const point = points.get(periodOf(row.day, granularity));
    if (!point) throw new Error(`day ${row.day} outside the periods of ${JSON.stringify(range)}`);
    point.revenueCents += row.cents;
    point.orders += row.orders;
    point.items += row.items;
  }
  const list = [...points.values()];
  const totalCents = list.reduce((s, p) => s + p.revenueCents, 0);
  const orders = list.reduce((s, p) => s + p.orders, 0);
  const items = list.reduce((s, p) => s + p.items, 0);
  return { totalCents, orders, items, averageTicketCents: orders === 0 ? 0 : Math.round(totalCents / orders), points: list };
}

export interface TrafficCellTruth {
  dayOfWeek: number;
  hour: number;
  orders: number;
  revenueCents: number;
  visits: number;
}

/** Completed orders and VISIT events per (ISO day of week, UTC hour); cells with neither are absent. */
export async function trafficTruth(db: Db, storeId: number, range: Range): Promise<TrafficCellTruth[]> {
  const { rows } = await sql<TrafficCellTruth>`
    WITH sold AS (
      SELECT extract(isodow FROM placed_at AT TIME ZONE 'UTC')::int AS d, extract(hour FROM placed_at AT TIME ZONE 'UTC')::int AS h,
             count(*)::int AS orders, (sum(total) * 100)::bigint AS cents
        FROM orders
       WHERE status = 'COMPLETED' AND store_id = ${storeId} AND ${within('placed_at', range)}
       GROUP BY 1, 2
    ), visited AS (
      SELECT extract(isodow FROM occurred_at AT TIME ZONE 'UTC')::int AS d, extract(hour FROM occurred_at AT TIME ZONE 'UTC')::int AS h,
             count(*)::int AS visits
        FROM events
       WHERE type = 'VISIT' AND store_id = ${storeId} AND ${within('occurred_at', range)}
       GROUP BY 1, 2
    )
    SELECT d AS "dayOfWeek", h AS hour, coalesce(sold.orders, 0) AS orders, coalesce(sold.cents, 0)::bigint AS "revenueCents",
           coalesce(visited.visits, 0) AS visits
      FROM sold FULL JOIN visited USING (d, h)
     ORDER BY 1, 2`.execute(db);
  return rows;
}

export interface ProductSalesTruth {
  productId: number;
  unitsSold: number;
  revenueCents: number;
  marginCents: number;
}

/** Completed sales per product at the stores (null = all) over the range, by revenue desc then id. */
export async function productSalesTruth(db: Db, storeIds: readonly number[] | null, range: Range): Promise<ProductSalesTruth[]> {
  const { rows } = await sql<ProductSalesTruth>`
    SELECT oi.product_id AS "productId", sum(oi.quantity)::int AS "unitsSold",
           (sum(oi.quantity * oi.unit_price) * 100)::bigint AS "revenueCents",
           (sum(oi.quantity * (oi.unit_price - oi.unit_cost)) * 100)::bigint AS "marginCents"
      FROM order_items oi
      JOIN orders o ON o.id = oi.order_id
     WHERE o.status = 'COMPLETED' AND ${within('o.placed_at', range)} AND ${stores('o.store_id', storeIds)}
     GROUP BY 1
     ORDER BY 3 DESC, 1`.execute(db);
  return rows;
}

export async function productPerformanceTruth(
  db: Db,
  productId: number,
  storeIds: readonly number[] | null,
  range: Range,
): Promise<ProductSalesTruth> {
  const all = await productSalesTruth(db, storeIds, range);
  return all.find((row) => row.productId === productId) ?? { productId, unitsSold: 0, revenueCents: 0, marginCents: 0 };
}

export interface InsightsTruth {
  newCustomers: number;
  returningCustomers: number;
  /** Exact fraction; the API rounds it to 4 decimals. */
  repeatRate: number;
  averageLifetimeValueCents: number;
  /** Distinct known customers with any ingested event at the store in the range. */
  activeCustomers: number;
}

/** The definitions of analytics-types.ts CustomerInsightsRow, straight over orders. */
export async function customerInsightsTruth(db: Db, storeId: number, range: Range): Promise<InsightsTruth> {
  const { rows } = await sql<{ fresh: number; returning: number; repeaters: number; customers: number; spend: number | null }>`
    WITH per_customer AS (
      SELECT customer_id,
             count(*) FILTER (WHERE ${within('placed_at', range)}) AS in_range,
             count(*) FILTER (WHERE placed_at < (${range.from}::date::timestamp AT TIME ZONE 'UTC')) AS before,
             sum(total) FILTER (WHERE placed_at < ((${range.to}::date + 1)::timestamp AT TIME ZONE 'UTC')) AS spend
        FROM orders
       WHERE store_id = ${storeId} AND status = 'COMPLETED' AND customer_id IS NOT NULL
       GROUP BY 1
    )
    SELECT count(*) FILTER (WHERE before = 0)::int AS fresh,
           count(*) FILTER (WHERE before > 0)::int AS returning,
           count(*) FILTER (WHERE in_range >= 2)::int AS repeaters,
           count(*)::int AS customers,
           (sum(spend) * 100)::bigint AS spend
      FROM per_customer
     WHERE in_range > 0`.execute(db);
  const active = await sql<{ n: number }>`
    SELECT count(DISTINCT customer_id)::int AS n FROM events WHERE store_id = ${storeId} AND ${within('occurred_at', range)}`.execute(db);
  const activeCustomers = active.rows[0].n;
  const row = rows[0];
  if (!row || row.customers === 0)
    return { newCustomers: 0, returningCustomers: 0, repeatRate: 0, averageLifetimeValueCents: 0, activeCustomers };
  return {
    activeCustomers,
    newCustomers: row.fresh,
    returningCustomers: row.returning,
    repeatRate: row.repeaters / row.customers,
    averageLifetimeValueCents: Math.round(Number(row.spend) / row.customers),
  };
}

export interface InventoryTruth {
  storeId: number;
  productId: number;
  onHand: number;
  reorderPoint: number;
  status: 'OK' | 'LOW' | 'OUT';
  daysOfCover: number | null;
}

export function statusOf(onHand: number, reorderPoint: number): 'OK' | 'LOW' | 'OUT' {
  if (onHand === 0) return 'OUT';
  return onHand <= reorderPoint ? 'LOW' : 'OK';
}

/** Every inventory row of the store by product id, with units sold over today and the 27 days before. */
export async function inventoryTruth(db: Db, storeId: number, today: string): Promise<InventoryTruth[]> {
  const window = { from: addDays(today, -27), to: today };
  const { rows } = await sql<{ product_id: number; on_hand: number; reorder_point: number; units: number | null }>`
    SELECT l.product_id, l.on_hand, l.reorder_point, sold.units
      FROM inventory_levels l
      LEFT JOIN (
        SELECT oi.product_id, sum(oi.quantity)::int AS units
          FROM order_items oi JOIN orders o ON o.id = oi.order_id
         WHERE o.status = 'COMPLETED' AND o.store_id = ${storeId} AND ${within('o.placed_at', window)}
         GROUP BY 1
      ) sold ON sold.product_id = l.product_id
     WHERE l.store_id = ${storeId}
     ORDER BY l.product_id`.execute(db);
  return rows.map((row) => ({
    storeId,
    productId: row.product_id,
    onHand: row.on_hand,
    reorderPoint: row.reorder_point,
    status: statusOf(row.on_hand, row.reorder_point),
    daysOfCover: row.units ? Math.round((row.on_hand * 280) / row.units) / 10 : null,
  }));
}

export interface CategoryTruth {
  categoryId: number;
  revenueCents: number;
  unitsSold: number;
  /** Exact fraction; the API rounds it to 4 decimals. */
  share: number;
}

/** Every category (zeros when it sold nothing) by revenue desc then id, over all stores. */
export async function categoryTruth(db: Db, range: Range): Promise<CategoryTruth[]> {
  const { rows } = await sql<{ id: number; cents: number | null; units: number | null }>`
    SELECT c.id, s.cents, s.units
      FROM categories c
      LEFT JOIN (
        SELECT p.category_id, (sum(oi.quantity * oi.unit_price) * 100)::bigint AS cents, sum(oi.quantity)::int AS units
          FROM order_items oi
          JOIN orders o ON o.id = oi.order_id
          JOIN products p ON p.id = oi.product_id
         WHERE o.status = 'COMPLETED' AND ${within('o.placed_at', range)}
         GROUP BY 1
      ) s ON s.category_id = c.id`.execute(db);
  const everything = rows.reduce((sum, row) => sum + Number(row.cents ?? 0), 0);
  return rows
    .map((row) => ({
      categoryId: row.id,
      revenueCents: Number(row.cents ?? 0),
      unitsSold: row.units ?? 0,
      share: everything === 0 ? 0 : Number(row.cents ?? 0) / everything,
    }))
    .sort((a, b) => b.revenueCents - a.revenueCents || a.categoryId - b.categoryId);
}

/** Completed spend of the customer, all time, every store, in cents. */
export async function lifetimeValueTruth(db: Db, customerId: number): Promise<number> {
  const { rows } = await sql<{ cents: number | null }>`
    SELECT (sum(total) * 100)::bigint AS cents FROM orders WHERE customer_id = ${customerId} AND status = 'COMPLETED'`.execute(db);
  return Number(rows[0]?.cents ?? 0);
}
