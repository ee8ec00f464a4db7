import { Random } from '../db/seed/random.js';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../src/db/database.js';
import { startEmbeddedPostgres, type RunningPostgres } from '../src/db/embedded-postgres.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { ensureDatabase } from '../src/db/postgres-server.js';
import type {
  CategoryPerformanceRow,
  CustomerInsightsRow,
  DayRange,
  Granularity,
  HourlyTrafficRow,
  InventoryRow,
  InventoryStatus,
  ProductPerformanceRow,
  RevenueSeriesRow,
} from '../src/db/queries/analytics-types.js';
import { categoryPerformance } from '../src/db/queries/category-performance.query.js';
import { combinedRevenue } from '../src/db/queries/combined-revenue.query.js';
import { customerLifetimeValue } from '../src/db/queries/customer-lifetime-value.query.js';
import { inventoryByPair } from '../src/db/queries/inventory-by-pair.query.js';
import { productPerformance } from '../src/db/queries/product-performance.query.js';
import { markDayWritten, readCoveredUntil, refreshAggregates } from '../src/db/queries/refresh-aggregates.js';
import { utcDayOf as utcDay } from '../src/days.js';
import { storeCustomerInsights } from '../src/db/queries/store-customer-insights.query.js';
import { storeInventory } from '../src/db/queries/store-inventory.query.js';
import { storeRevenue } from '../src/db/queries/store-revenue.query.js';
import { storeTopProducts } from '../src/db/queries/store-top-products.query.js';
import { storeTraffic } from '../src/db/queries/store-traffic.query.js';
import { storeEvents, type StoreEventsRow } from '../src/db/queries/store-events.query.js';
import { createLogger } from '../src/logger.js';

/**
 * Every analytics query must equal a plain aggregate over the base tables,
 * whatever the watermark says: before any refresh, after one, and after writes into
 * today and into a closed day. The expected values below are written directly against
 * orders / order_items / inventory_levels, without the query modules' helpers, and
 * group days with `(placed_at AT TIME ZONE 'UTC')::date` rather than instant bounds so
 * day-boundary mistakes show. The session time zone is set far from UTC on purpose.
 */

// ---------- deterministic fixture ----------

const generator = new Random(20240601, 'analytics-fixture');
const random = () => generator.next();
const pick = (n: number) => Math.floor(random() * n);

function shiftDay(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
const cents = (value: number) => (value / 100).toFixed(2);

const TODAY = utcDay(new Date());
const day = (offset: number) => shiftDay(TODAY, -offset);
const STORES = [1, 2, 3, 4, 5]; // store 5 never sells
const CATEGORIES = [1, 2, 3, 4, 5]; // category 5 holds product 25, unsold until state (c)
const PRODUCTS = Array.from({ length: 25 }, (_, i) => ({
  id: i + 1,
  categoryId: i < 24 ? (i % 4) + 1 : 5,
  priceCents: 150 + pick(2850),
  costCents: 0,
}));
for (const product of PRODUCTS) product.costCents = Math.round(product.priceCents * (0.3 + random() * 0.3));
const CUSTOMERS = Array.from({ length: 80 }, (_, i) => i + 1);

interface OrderSpec {
  storeId: number;
  customerId: number | null;
  placedAt: string;
  status: 'COMPLETED' | 'REFUNDED';
  items: Array<{ productId: number; quantity: number }>;
}

function randomOrder(offset: number, placedAt?: string): OrderSpec {
  const lines = 1 + pick(4);
  const productIds = new Set<number>();
  while (productIds.size < lines) productIds.add(1 + pick(24));
  const seconds = pick(86_400);
  return {
    storeId: 1 + pick(4),
    customerId: random() < 0.8 ? 1 + pick(CUSTOMERS.length) : null,
    placedAt: placedAt ?? new Date(Date.parse(`${day(offset)}T00:00:00Z`) + seconds * 1000).toISOString(),
    status: random() < 0.12 ? 'REFUNDED' : 'COMPLETED',
    items: [...productIds].map((productId) => ({ productId, quantity: 1 + pick(3) })),
  };
}

let nextOrderId = 1;
let nextItemId = 1;

/** One unnest insert per table, as production bulk writes do. */
async function insertOrders(pool: pg.Pool, orders: OrderSpec[]): Promise<void> {
  const o = {
    id: [] as number[],
    store: [] as number[],
    customer: [] as (number | null)[],
    at: [] as string[],
    status: [] as string[],
    channel: [] as string[],
    count: [] as number[],
    total: [] as string[],
  };
  const lines = {
    id: [] as number[],
    order: [] as number[],
    product: [] as number[],
    quantity: [] as number[],
    price: [] as string[],
    cost: [] as string[],
  };
  for (const order of orders) {
    const orderId = nextOrderId++;
    let totalCents = 0;
    let count = 0;
    for (const line of order.items) {
      const product = PRODUCTS[line.productId - 1];
      // Now and then a line sells below list price: the line's own price is the truth.
      const priceCents = random() < 0.1 ? Math.round(product.priceCents * 0.9) : product.priceCents;
      lines.id.push(nextItemId++);
      lines.order.push(orderId);
      lines.product.push(line.productId);
      lines.quantity.push(line.quantity);
      lines.price.push(cents(priceCents));
      lines.cost.push(cents(product.costCents));
      totalCents += priceCents * line.quantity;
      count += line.quantity;
    }
    o.id.push(orderId);
    o.store.push(order.storeId);
    o.customer.push(order.customerId);
    o.at.push(order.placedAt);
    o.status.push(order.status);
    o.channel.push(['IN_STORE', 'ONLINE', 'DELIVERY'][orderId % 3]);
    o.count.push(count);
    o.total.push(cents(totalCents));
  }
  await pool.query(
    `INSERT INTO orders (id, store_id, customer_id, placed_at, status, channel, item_count, total)
     SELECT * FROM unnest($1::bigint[], $2::int[], $3::int[], $4::timestamptz[], $5::text[], $6::text[], $7::int[], $8::numeric[])`,
    [o.id, o.store, o.customer, o.at, o.status, o.channel, o.count, o.total],
  );
  await pool.query(
    `INSERT INTO order_items (id, order_id, product_id, quantity, unit_price, unit_cost)
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::int[], $5::numeric[], $6::numeric[])`,
    [lines.id, lines.order, lines.product, lines.quantity, lines.price, lines.cost],
  );
}

async function seedFixture(pool: pg.Pool): Promise<void> {
  await pool.query(
    `INSERT INTO stores (id, name, city, opened_at) SELECT i, 'Store ' || i, 'City', DATE '2020-01-01' FROM unnest($1::int[]) AS i`,
    [STORES],
  );
  await pool.query(`INSERT INTO categories (id, name) SELECT i, 'Category ' || i FROM unnest($1::int[]) AS i`, [CATEGORIES]);
  await pool.query(
    `INSERT INTO products (id, sku, name, category_id, unit_price, unit_cost)
     SELECT id, 'SKU-' || id, 'Product ' || id, c, p, k FROM unnest($1::int[], $2::int[], $3::numeric[], $4::numeric[]) AS t(id, c, p, k)`,
    [
      PRODUCTS.map((p) => p.id),
      PRODUCTS.map((p) => p.categoryId),
      PRODUCTS.map((p) => cents(p.priceCents)),
      PRODUCTS.map((p) => cents(p.costCents)),
    ],
  );
  await pool.query(
    `INSERT INTO customers (id, first_seen_at, loyalty_tier, home_store_id)
     SELECT i, now() - interval '300 days', 'BRONZE', 1 + i % 4 FROM unnest($1::int[]) AS i`,
    [CUSTOMERS],
  );
  const orders: OrderSpec[] = [];
  for (let n = 0; n < 2000; n += 1) orders.push(randomOrder(pick(60)));
  // History long before the 60 days (and before a 180-day window): "returning" customers.
  for (let n = 0; n < 150; n += 1) orders.push(randomOrder(181 + pick(60)));
  // Orders on the very edges of UTC days.
  for (const offset of [0, 1, 7, 13, 29, 31, 45]) {
    orders.push(randomOrder(offset, `${day(offset)}T00:00:00.000Z`));
    orders.push(randomOrder(offset, `${day(offset)}T23:59:59.999Z`));
  }
  await insertOrders(pool, orders);
  const inventory = { store: [] as number[], product: [] as number[], onHand: [] as number[], reorder: [] as number[] };
  for (const storeId of STORES) {
    for (const product of PRODUCTS) {
      if (storeId === 4 && product.id % 5 === 0) continue; // pairs without a row
      inventory.store.push(storeId);
      inventory.product.push(product.id);
      inventory.onHand.push(random() < 0.15 ? 0 : 1 + pick(60));
      inventory.reorder.push(pick(21));
    }
  }
  await pool.query(
    `INSERT INTO inventory_levels (store_id, product_id, on_hand, reorder_point) SELECT * FROM unnest($1::int[], $2::int[], $3::int[], $4::int[])`,
    [inventory.store, inventory.product, inventory.onHand, inventory.reorder],
  );
  for (const table of ['stores', 'categories', 'products', 'customers', 'orders', 'order_items']) {
    await pool.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), (SELECT max(id) FROM ${table}))`);
  }
}

// ---------- truth over the base tables ----------

const TRUNC: Record<Granularity, string> = { DAY: 'day', WEEK: 'week', MONTH: 'month' };

function periodOf(d: string, granularity: Granularity): string {
  if (granularity === 'DAY') return d;
  if (granularity === 'MONTH') return `${d.slice(0, 7)}-01`;
  const weekday = new Date(`${d}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return shiftDay(d, -((weekday + 6) % 7));
}
function periodsOf(range: DayRange, granularity: Granularity): string[] {
  const periods: string[] = [];
  for (let d = range.from; d <= range.to; d = shiftDay(d, 1)) {
    const period = periodOf(d, granularity);
    if (periods.at(-1) !== period) periods.push(period);
  }
  return periods;
}

// ---------- events ----------

/** Its own generator: the order fixture and the orders written later stay what they were. */
const eventGenerator = new Random(20240602, 'analytics-events');
const EVENT_TYPES = ['VISIT', 'VISIT', 'PAGE_VIEW', 'PAGE_VIEW', 'ADD_TO_CART', 'CHECKOUT'];
/** Days (ago) without any event: ranges over them, and running totals across them. */
const EVENT_FREE_DAYS = new Set([15, 16, 17, 2]);
/** Days before the retention window the queries are told of in some checks (see viewsFrom). */
const OLD_EVENT_DAYS = [410, 420];
let nextEventId = 1;

function randomEvents(offset: number, count: number, storeId?: number): Array<[string, number, string, string, number | null]> {
  const next = () => eventGenerator.next();
  return Array.from({ length: count }, () => {
    const at = new Date(Date.parse(`${day(offset)}T00:00:00Z`) + Math.floor(next() * 86_400) * 1000);
    return [
      `e-${nextEventId++}`,
      storeId ?? 1 + Math.floor(next() * 4), // store 5 has no events
      EVENT_TYPES[Math.floor(next() * EVENT_TYPES.length)],
      at.toISOString(),
      next() < 0.6 ? 1 + Math.floor(next() * 40) : null,
    ];
  });
}

async function insertEvents(pool: pg.Pool, events: Array<[string, number, string, string, number | null]>): Promise<void> {
  await pool.query(
    `INSERT INTO events (id, store_id, type, occurred_at, customer_id)
     SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::timestamptz[], $5::int[])`,
    [events.map((e) => e[0]), events.map((e) => e[1]), events.map((e) => e[2]), events.map((e) => e[3]), events.map((e) => e[4])],
  );
}

/** Events over the last 70 days (not today: the fixture's watermark stays where the order checks expect it), a few days without any, and some very old ones. */
async function seedEvents(pool: pg.Pool): Promise<void> {
  const events = [];
  for (let offset = 1; offset < 70; offset++) if (!EVENT_FREE_DAYS.has(offset)) events.push(...randomEvents(offset, 25));
  for (const offset of OLD_EVENT_DAYS) events.push(...randomEvents(offset, 10));
  await insertEvents(pool, events);
}

let database: Database;
let pool: pg.Pool;
const q = async <T extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<T[]> => (await pool.query<T>(text, values)).rows;

async function truthRevenue(storeIds: number[] | null, range: DayRange, granularity: Granularity): Promise<RevenueSeriesRow> {
  const where = `status = 'COMPLETED' AND (placed_at AT TIME ZONE 'UTC')::date BETWEEN $1::date AND $2::date AND ($3::int[] IS NULL OR store_id = ANY($3::int[]))`;
  const byPeriod = await q<{ period: string; revenue: number; orders: number; items: number }>(
    `SELECT date_trunc($4, placed_at AT TIME ZONE 'UTC')::date AS period, sum(total) AS revenue, count(*)::int AS orders, sum(item_count)::int AS items
       FROM orders WHERE ${where} GROUP BY 1`,
    [range.from, range.to, storeIds, TRUNC[granularity]],
  );
  const [totals] = await q<{ total: number; orders: number; items: number; ticket: number }>(
    `SELECT coalesce(sum(total), 0) AS total, count(*)::int AS orders, coalesce(sum(item_count), 0)::int AS items,
            coalesce(round(sum(total) / nullif(count(*), 0), 2), 0) AS ticket
       FROM orders WHERE ${where}`,
    [range.from, range.to, storeIds],
  );
  const found = new Map(byPeriod.map((row) => [row.period, row]));
  return {
    total: totals.total,
    orders: totals.orders,
    items: totals.items,
    averageTicket: totals.ticket,
    points: periodsOf(range, granularity).map((period) => {
      const row = found.get(period);
      return { period, revenue: row?.revenue ?? 0, orders: row?.orders ?? 0, items: row?.items ?? 0 };
    }),
  };
}

async function truthTraffic(storeId: number, range: DayRange): Promise<HourlyTrafficRow[]> {
  return q<HourlyTrafficRow>(
    `SELECT extract(isodow FROM placed_at AT TIME ZONE 'UTC')::int AS "dayOfWeek", extract(hour FROM placed_at AT TIME ZONE 'UTC')::int AS hour,
            count(*)::int AS orders, sum(total) AS revenue
       FROM orders
      WHERE status = 'COMPLETED' AND store_id = $3 AND (placed_at AT TIME ZONE 'UTC')::date BETWEEN $1::date AND $2::date
      GROUP BY 1, 2 ORDER BY 1, 2`,
    [range.from, range.to, storeId],
  );
}

/** Every product's sales over the range for the stores, sorted like a leaderboard. */
async function truthProducts(storeIds: number[] | null, range: DayRange): Promise<ProductPerformanceRow[]> {
  const rows = await q<ProductPerformanceRow>(
    `SELECT oi.product_id AS "productId", sum(oi.quantity)::int AS "unitsSold", sum(oi.quantity * oi.unit_price) AS revenue,
            sum(oi.quantity * oi.unit_price) - sum(oi.quantity * oi.unit_cost) AS margin
       FROM order_items oi JOIN orders o ON o.id = oi.order_id
      WHERE o.status = 'COMPLETED' AND (o.placed_at AT TIME ZONE 'UTC')::date BETWEEN $1::date AND $2::date
        AND ($3::int[] IS NULL OR o.store_id = ANY($3::int[]))
      GROUP BY 1`,
    [range.from, range.to, storeIds],
  );
  return rows.sort((a, b) => b.revenue - a.revenue || a.productId - b.productId);
}

async function truthCategories(
  categoryIds: number[] | null,
  storeIds: number[] | null,
  range: DayRange,
): Promise<CategoryPerformanceRow[]> {
  const rows = await q<CategoryPerformanceRow>(
    `WITH sales AS (
       SELECT p.category_id, oi.quantity, oi.quantity * oi.unit_price AS amount
         FROM order_items oi JOIN orders o ON o.id = oi.order_id JOIN products p ON p.id = oi.product_id
        WHERE o.status = 'COMPLETED' AND (o.placed_at AT TIME ZONE 'UTC')::date BETWEEN $1::date AND $2::date
          AND ($3::int[] IS NULL OR o.store_id = ANY($3::int[])))
     SELECT c.id AS "categoryId",
            coalesce((SELECT sum(amount) FROM sales WHERE category_id = c.id), 0) AS revenue,
            coalesce((SELECT sum(quantity) FROM sales WHERE category_id = c.id), 0)::int AS "unitsSold",
            coalesce(round((SELECT sum(amount) FROM sales WHERE category_id = c.id) / nullif((SELECT sum(amount) FROM sales), 0), 4), 0) AS share
       FROM categories c`,
    [range.from, range.to, storeIds],
  );
  return rows
    .filter((row) => categoryIds === null || categoryIds.includes(row.categoryId))
    .sort((a, b) => b.revenue - a.revenue || a.categoryId - b.categoryId);
}

async function truthInsights(storeId: number, range: DayRange): Promise<CustomerInsightsRow> {
  const [row] = await q<CustomerInsightsRow>(
    `WITH o AS (
       SELECT customer_id, total, (placed_at AT TIME ZONE 'UTC')::date AS d FROM orders
        WHERE status = 'COMPLETED' AND customer_id IS NOT NULL AND store_id = $3),
     c AS (
       SELECT customer_id, count(*) FILTER (WHERE d BETWEEN $1::date AND $2::date) AS n_in,
              count(*) FILTER (WHERE d < $1::date) AS n_before, sum(total) FILTER (WHERE d <= $2::date) AS spend
         FROM o GROUP BY 1)
     SELECT count(*) FILTER (WHERE n_before = 0)::int AS "newCustomers",
            count(*) FILTER (WHERE n_before > 0)::int AS "returningCustomers",
            coalesce(round(count(*) FILTER (WHERE n_in >= 2)::numeric / nullif(count(*), 0), 4), 0) AS "repeatRate",
            coalesce(round(avg(spend), 2), 0) AS "averageLifetimeValue"
       FROM c WHERE n_in > 0`,
    [range.from, range.to, storeId],
  );
  return row;
}

async function truthInventory(today: string): Promise<InventoryRow[]> {
  const rows = await q<Omit<InventoryRow, 'status'>>(
    `WITH sold AS (
       SELECT o.store_id, oi.product_id, sum(oi.quantity) AS units
         FROM order_items oi JOIN orders o ON o.id = oi.order_id
        WHERE o.status = 'COMPLETED' AND (o.placed_at AT TIME ZONE 'UTC')::date BETWEEN $1::date - 27 AND $1::date
        GROUP BY 1, 2)
     SELECT i.store_id AS "storeId", i.product_id AS "productId", i.on_hand AS "onHand", i.reorder_point AS "reorderPoint",
            round(i.on_hand * 28.0 / s.units, 1) AS "daysOfCover"
       FROM inventory_levels i LEFT JOIN sold s ON s.store_id = i.store_id AND s.product_id = i.product_id
      ORDER BY 1, 2`,
    [today],
  );
  return rows.map((row) => ({
    ...row,
    status: (row.onHand === 0 ? 'OUT' : row.onHand <= row.reorderPoint ? 'LOW' : 'OK') as InventoryStatus,
  }));
}

async function truthLifetimeValue(customerId: number, storeIds: number[] | null): Promise<number> {
  const [row] = await q<{ spend: number }>(
    `SELECT coalesce(sum(total), 0) AS spend FROM orders WHERE status = 'COMPLETED' AND customer_id = $1 AND ($2::int[] IS NULL OR store_id = ANY($2::int[]))`,
    [customerId, storeIds],
  );
  return row.spend;
}

// ---------- harness ----------

/** Runs one query call and checks it cost exactly one SQL statement. */
async function once<T>(call: () => Promise<T>): Promise<T> {
  const before = database.stats.queries;
  const result = await call();
  expect(database.stats.queries - before, 'statements per call').toBe(1);
  return result;
}

const RANGES: Record<string, () => DayRange> = {
  all60: () => ({ from: day(59), to: TODAY }),
  middle: () => ({ from: day(40), to: day(8) }),
  closed: () => ({ from: day(30), to: day(9) }),
  lastWeek: () => ({ from: day(6), to: TODAY }),
  today: () => ({ from: TODAY, to: TODAY }),
  wide: () => ({ from: day(400), to: TODAY }),
  empty: () => ({ from: '2001-01-01', to: '2001-02-15' }),
};

/** Plain aggregates over events, grouped by the UTC calendar day of occurred_at. */
async function truthEvents(storeId: number, range: DayRange): Promise<StoreEventsRow | undefined> {
  const within = `store_id = $1 AND (occurred_at AT TIME ZONE 'UTC')::date BETWEEN $2::date AND $3::date`;
  const args = [storeId, range.from, range.to];
  const [totals] = await q<{ n: number; visits: number; page_views: number; add_to_carts: number; checkouts: number; active: number }>(
    `SELECT count(*)::int AS n,
            count(*) FILTER (WHERE type = 'VISIT')::int AS visits, count(*) FILTER (WHERE type = 'PAGE_VIEW')::int AS page_views,
            count(*) FILTER (WHERE type = 'ADD_TO_CART')::int AS add_to_carts, count(*) FILTER (WHERE type = 'CHECKOUT')::int AS checkouts,
            count(DISTINCT customer_id)::int AS active
       FROM events WHERE ${within}`,
    args,
  );
  const cells = await q<{ dayOfWeek: number; hour: number; visits: number }>(
    `SELECT extract(isodow FROM occurred_at AT TIME ZONE 'UTC')::int AS "dayOfWeek", extract(hour FROM occurred_at AT TIME ZONE 'UTC')::int AS hour,
            count(*)::int AS visits
       FROM events WHERE ${within} AND type = 'VISIT' GROUP BY 1, 2 ORDER BY 1, 2`,
    args,
  );
  if (totals.n === 0) return undefined;
  return {
    visits: totals.visits,
    pageViews: totals.page_views,
    addToCarts: totals.add_to_carts,
    checkouts: totals.checkouts,
    activeCustomers: totals.active,
    visitsByHour: cells,
  };
}

/** Event ranges besides RANGES: under and over two weeks, across event-free days, one of them alone. */
const EVENT_RANGES: Record<string, () => DayRange> = {
  ...RANGES,
  days13: () => ({ from: day(14), to: day(2) }),
  days14: () => ({ from: day(15), to: day(2) }),
  days15: () => ({ from: day(20), to: day(6) }),
  eventFree: () => ({ from: day(17), to: day(15) }),
  old: () => ({ from: day(425), to: day(405) }),
  acrossOld: () => ({ from: day(415), to: day(50) }),
};
/**
 * viewsFrom values: the views answer every day; or the oldest events are beyond the
 * retention window. Stage (e) deletes those without a refresh, as the cleanup job does,
 * and keeps only the second: then the views must not answer those days.
 */
let viewsFromChoices = (): string[] => ['1970-01-01', day(412)];
const GRANULARITIES: Granularity[] = ['DAY', 'WEEK', 'MONTH'];
const STORE_BATCH = [1, 2, 3, 4, 5, 999];
let coveredUntil: string;

function analyticsSuite(): void {
  it('storeRevenue: one series per store, zero-filled, every granularity', async () => {
    for (const [name, range] of Object.entries(RANGES)) {
      for (const granularity of GRANULARITIES) {
        const result = await once(() => storeRevenue(database.db, { storeIds: STORE_BATCH, range: range(), granularity, coveredUntil }));
        expect([...result.keys()]).toEqual(STORE_BATCH);
        for (const storeId of STORE_BATCH) {
          expect(result.get(storeId), `${name} ${granularity} store ${storeId}`).toEqual(
            await truthRevenue([storeId], range(), granularity),
          );
        }
      }
    }
  });

  it('combinedRevenue: all stores, some stores, no store', async () => {
    for (const [name, range] of Object.entries(RANGES)) {
      for (const granularity of GRANULARITIES) {
        for (const storeIds of [null, [1, 3], [5], []]) {
          const result = await once(() => combinedRevenue(database.db, { storeIds, range: range(), granularity, coveredUntil }));
          expect(result, `${name} ${granularity} ${JSON.stringify(storeIds)}`).toEqual(await truthRevenue(storeIds, range(), granularity));
        }
      }
    }
  });

  it('storeTraffic: cells with orders, ordered by day of week and hour', async () => {
    for (const [name, range] of Object.entries(RANGES)) {
      const result = await once(() => storeTraffic(database.db, { storeIds: STORE_BATCH, range: range(), coveredUntil }));
      for (const storeId of STORE_BATCH)
        expect(result.get(storeId), `${name} store ${storeId}`).toEqual(await truthTraffic(storeId, range()));
    }
  });

  it('storeTopProducts: top N per store by revenue, then product id', async () => {
    for (const [name, range] of Object.entries(RANGES)) {
      for (const limit of [1, 3, 10, 100]) {
        const result = await once(() => storeTopProducts(database.db, { storeIds: STORE_BATCH, range: range(), limit, coveredUntil }));
        for (const storeId of STORE_BATCH) {
          const expected = (await truthProducts([storeId], range())).slice(0, limit);
          expect(result.get(storeId), `${name} limit ${limit} store ${storeId}`).toEqual(expected);
        }
      }
    }
  });

  it('productPerformance: every product asked for, zeros without sales', async () => {
    const productIds = [25, 1, 2, 7, 13, 24, 999];
    for (const [name, range] of Object.entries(RANGES)) {
      for (const storeIds of [null, [2], [1, 4], [5]]) {
        const result = await once(() => productPerformance(database.db, { productIds, range: range(), storeIds, coveredUntil }));
        const truth = new Map((await truthProducts(storeIds, range())).map((row) => [row.productId, row]));
        expect([...result.keys()]).toEqual(productIds);
        for (const productId of productIds) {
          const expected = truth.get(productId) ?? { productId, unitsSold: 0, revenue: 0, margin: 0 };
          expect(result.get(productId), `${name} ${JSON.stringify(storeIds)} product ${productId}`).toEqual(expected);
        }
      }
    }
  });

  it('categoryPerformance: shares over all categories, zeros included, sorted', async () => {
    for (const [name, range] of Object.entries(RANGES)) {
      for (const storeIds of [null, [3], [2, 4], [5]]) {
        for (const categoryIds of [null, [5, 2], [1], [4, 999]]) {
          const result = await once(() => categoryPerformance(database.db, { categoryIds, range: range(), storeIds, coveredUntil }));
          const label = `${name} stores ${JSON.stringify(storeIds)} categories ${JSON.stringify(categoryIds)}`;
          expect(result, label).toEqual(await truthCategories(categoryIds, storeIds, range()));
        }
      }
    }
  });

  it('storeCustomerInsights: new, returning, repeat rate, lifetime value', async () => {
    for (const [name, range] of Object.entries(RANGES)) {
      const result = await once(() => storeCustomerInsights(database.db, { storeIds: STORE_BATCH, range: range(), coveredUntil }));
      for (const storeId of STORE_BATCH)
        expect(result.get(storeId), `${name} store ${storeId}`).toEqual(await truthInsights(storeId, range()));
    }
    // The fixture must make the "returning" branch real, or the test proves little.
    const insights = await storeCustomerInsights(database.db, { storeIds: [1], range: RANGES.all60(), coveredUntil });
    expect(insights.get(1)!.returningCustomers).toBeGreaterThan(0);
    expect(insights.get(1)!.newCustomers).toBeGreaterThan(0);
  });

  it('storeInventory: first N by product id per status, days of cover over 28 days', async () => {
    const truth = await truthInventory(TODAY);
    expect(truth.some((row) => row.daysOfCover === null)).toBe(true);
    // The watermark is optional here: given (as loaders should) or read inside the statement.
    for (const watermark of [coveredUntil, undefined]) {
      for (const status of ['ALL', 'OK', 'LOW', 'OUT'] as const) {
        for (const first of [1, 4, 100]) {
          const params = { storeIds: STORE_BATCH, status, first, today: TODAY, coveredUntil: watermark };
          const result = await once(() => storeInventory(database.db, params));
          for (const storeId of STORE_BATCH) {
            const expected = truth.filter((row) => row.storeId === storeId && (status === 'ALL' || row.status === status)).slice(0, first);
            expect(result.get(storeId), `${watermark} ${status} first ${first} store ${storeId}`).toEqual(expected);
          }
        }
      }
    }
    // Another "today" moves the 28-day window.
    const earlier = day(20);
    const result = await once(() => storeInventory(database.db, { storeIds: [1, 2], status: 'ALL', first: 100, today: earlier }));
    const expected = (await truthInventory(earlier)).filter((row) => row.storeId <= 2);
    expect([...result.get(1)!, ...result.get(2)!]).toEqual(expected);
  });

  it('inventoryByPair: rows by (store, product), absent pairs left out', async () => {
    const truth = new Map((await truthInventory(TODAY)).map((row) => [`${row.storeId}:${row.productId}`, row]));
    const pairs = [
      { storeId: 1, productId: 1 },
      { storeId: 2, productId: 25 },
      { storeId: 4, productId: 5 }, // no inventory row
      { storeId: 4, productId: 6 },
      { storeId: 3, productId: 17 },
      { storeId: 1, productId: 1 },
      { storeId: 5, productId: 9 },
    ];
    const expected = new Map(
      pairs.flatMap(({ storeId, productId }) => {
        const row = truth.get(`${storeId}:${productId}`);
        return row ? [[`${storeId}:${productId}`, row] as const] : [];
      }),
    );
    for (const watermark of [coveredUntil, undefined]) {
      const result = await once(() => inventoryByPair(database.db, { pairs, today: TODAY, coveredUntil: watermark }));
      expect(result, String(watermark)).toEqual(expected);
      expect(result.has('4:5')).toBe(false);
    }
  });

  it('storeEvents: totals by type, distinct customers, visits per (day of week, hour)', async () => {
    for (const viewsFrom of viewsFromChoices()) {
      for (const [name, range] of Object.entries(EVENT_RANGES)) {
        const result = await once(() => storeEvents(database.db, { storeIds: STORE_BATCH, range: range(), coveredUntil, viewsFrom }));
        const expected = new Map<number, StoreEventsRow>();
        for (const storeId of STORE_BATCH) {
          const truth = await truthEvents(storeId, range());
          if (truth) expected.set(storeId, truth);
        }
        expect(result, `${name} viewsFrom ${viewsFrom}`).toEqual(expected);
      }
    }
  });

  it('customerLifetimeValue: completed spend of all time, 0 without orders', async () => {
    const customerIds = [...CUSTOMERS.slice(0, 30), 999];
    for (const storeIds of [null, [1], [2, 3], [5]]) {
      const result = await once(() => customerLifetimeValue(database.db, { customerIds, storeIds }));
      const expected = new Map<number, number>();
      for (const id of customerIds) expected.set(id, await truthLifetimeValue(id, storeIds));
      expect(result, JSON.stringify(storeIds)).toEqual(expected);
    }
  });
}

// ---------- lifecycle ----------

let postgres: RunningPostgres | undefined;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'graphpulse-analytics-'));
  // mkdtemp makes it 0700; as root, Postgres runs as the `postgres` user and must get through.
  chmodSync(dataDir, 0o755);
  postgres = await startEmbeddedPostgres(dataDir, createLogger('silent'), true);
  await ensureDatabase(postgres.adminUrl, 'analytics');
  const url = new URL(postgres.adminUrl);
  url.pathname = '/analytics';
  // Far from UTC: every day bucket must be UTC whatever the session time zone.
  const admin = createDatabase({ connectionString: postgres.adminUrl, poolMax: 1, statementTimeoutMs: 30_000, connectTimeoutMs: 10_000 });
  await admin.pool.query(`ALTER DATABASE analytics SET timezone = 'Pacific/Chatham'`);
  await admin.close();
  database = createDatabase({ connectionString: url.toString(), poolMax: 4, statementTimeoutMs: 30_000, connectTimeoutMs: 10_000 });
  pool = database.pool;
  await migrateToLatest(database.db);
  await seedFixture(pool);
  await seedEvents(pool);
});

afterAll(async () => {
  // Every connection closed before the server stops, or stopping it terminates them (57P01).
  await database?.close();
  await postgres?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('(a) before any refresh: everything from the base tables', () => {
  beforeAll(async () => {
    coveredUntil = await readCoveredUntil(database.db);
    expect(coveredUntil).toBe('1970-01-01');
  });
  analyticsSuite();
});

describe('(b) after refreshAggregates: closed days from the views', () => {
  beforeAll(async () => {
    const refreshed = await refreshAggregates(database.db);
    expect(refreshed).toEqual({ coveredUntil: TODAY, advanced: true });
    coveredUntil = await readCoveredUntil(database.db);
  });
  analyticsSuite();
});

describe('(c) after writes into today and a closed day, without a refresh', () => {
  const closedDay = day(10);
  beforeAll(async () => {
    // A write into a closed day that forgets markDayWritten is invisible: proof the views answer.
    const before = await storeRevenue(database.db, { storeIds: [2], range: RANGES.all60(), granularity: 'DAY', coveredUntil: TODAY });
    const late = randomOrder(10);
    late.storeId = 2;
    late.status = 'COMPLETED';
    late.customerId = 80;
    late.items.push({ productId: 25, quantity: 2 }); // category 5's first sale
    await insertOrders(pool, [late]);
    const stale = await storeRevenue(database.db, { storeIds: [2], range: RANGES.all60(), granularity: 'DAY', coveredUntil: TODAY });
    expect(stale.get(2)).toEqual(before.get(2));
    expect(stale.get(2)).not.toEqual(await truthRevenue([2], RANGES.all60(), 'DAY'));

    // As recordOrder does: pull the watermark back, and add orders for today.
    await markDayWritten(database.db, closedDay);
    const today = Array.from({ length: 25 }, () => randomOrder(0));
    today.push({
      storeId: 5,
      customerId: 1,
      placedAt: new Date().toISOString(),
      status: 'COMPLETED',
      items: [{ productId: 3, quantity: 1 }],
    });
    await insertOrders(pool, [...today, randomOrder(10), randomOrder(10)]);
    coveredUntil = await readCoveredUntil(database.db);
    expect(coveredUntil).toBe(closedDay);
  });
  analyticsSuite();
});

describe('(d) after a quiet spell: no sale anywhere in the last days, then a refresh', () => {
  beforeAll(async () => {
    // The running-total views must still hold a row for every day before the watermark
    // (the day before it is where a range's total is read), even days nobody sold on.
    await pool.query(
      `DELETE FROM order_items WHERE order_id IN (SELECT id FROM orders WHERE placed_at >= $1::date::timestamp AT TIME ZONE 'UTC')`,
      [day(3)],
    );
    await pool.query(`DELETE FROM orders WHERE placed_at >= $1::date::timestamp AT TIME ZONE 'UTC'`, [day(3)]);
    const refreshed = await refreshAggregates(database.db);
    expect(refreshed).toEqual({ coveredUntil: TODAY, advanced: true });
    coveredUntil = await readCoveredUntil(database.db);
    const { rows } = await pool.query<{ last: string }>(`SELECT max(day)::text AS last FROM mv_product_performance`);
    expect(rows[0].last < day(2)).toBe(true);
  });
  analyticsSuite();
});

describe('(e) events written into closed days and deleted beyond retention, without a refresh', () => {
  beforeAll(async () => {
    const refreshed = await refreshAggregates(database.db);
    expect(refreshed).toEqual({ coveredUntil: TODAY, advanced: true });
    // An event into a closed day changes what the event views hold: the trigger of
    // migration 005 pulls the watermark back, as markDayWritten does for orders.
    const late = [...randomEvents(5, 30, 1), ...randomEvents(16, 5, 2)]; // 16: a day that had no event
    const range = { from: day(20), to: day(1) };
    const before = await storeEvents(database.db, { storeIds: [1, 2], range, coveredUntil: TODAY, viewsFrom: '1970-01-01' });
    await insertEvents(pool, late);
    const stale = await storeEvents(database.db, { storeIds: [1, 2], range, coveredUntil: TODAY, viewsFrom: '1970-01-01' });
    expect(stale).toEqual(before); // proof the views answer those days
    expect(stale.get(1)).not.toEqual(await truthEvents(1, range));
    coveredUntil = await readCoveredUntil(database.db);
    expect(coveredUntil).toBe(day(16));
    // The cleanup job deletes events before the retention window without a refresh;
    // viewsFrom (after those days) makes the table answer them.
    await pool.query(`DELETE FROM events WHERE occurred_at < $1::date::timestamp AT TIME ZONE 'UTC'`, [day(412)]);
    viewsFromChoices = () => [day(412)];
  });
  it('storeEvents: days before viewsFrom come from the table, so deleted events are gone from the answers', async () => {
    const range = EVENT_RANGES.acrossOld();
    const result = await once(() => storeEvents(database.db, { storeIds: [1, 2, 3, 4], range, coveredUntil, viewsFrom: day(412) }));
    for (const storeId of [1, 2, 3, 4]) expect(result.get(storeId), `store ${storeId}`).toEqual(await truthEvents(storeId, range));
  });
  analyticsSuite();
});
