import type { Logger } from '../../src/logger.js';
import { BatchWriter, type QueryPipeline } from './batch-writer.js';
import { CATEGORIES, CHANNELS, EVENT_TYPES, LOYALTY_TIERS, STATUSES } from './catalog.js';
import { EVENTS_PER_SESSION, SESSION_WEEKDAY, generateDayEvents } from './day-events.js';
import { generateDayOrders, volumeUnits } from './day-orders.js';
import { Random } from './random.js';
import { DAY_MS, isoDay, type SeedCustomer, type World } from './world.js';

/**
 * Writes the world and then, day by day, its orders, order items and events through
 * unnest batches. Ids are assigned here, in time order, so items know their order's
 * id before either is sent. Money travels as integer cents and becomes numeric in SQL.
 */

export const SEEDED_TABLES = [
  'stores',
  'categories',
  'products',
  'customers',
  'orders',
  'order_items',
  'inventory_levels',
  'events',
] as const;
export type SeededTable = (typeof SEEDED_TABLES)[number];

const textArray = (values: readonly string[]) => `ARRAY[${values.map((v) => `'${v}'`).join(', ')}]`;

const SQL = {
  stores: `INSERT INTO stores (id, name, city, opened_at)
    SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::date[])`,
  categories: `INSERT INTO categories (id, name) SELECT * FROM unnest($1::int[], $2::text[])`,
  products: `INSERT INTO products (id, sku, name, category_id, unit_price, unit_cost)
    SELECT id, sku, name, category_id, price / 100.0, cost / 100.0
      FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::int[], $6::int[]) AS t(id, sku, name, category_id, price, cost)`,
  customers: `INSERT INTO customers (id, first_seen_at, loyalty_tier, home_store_id)
    SELECT id, to_timestamp(seen), (${textArray(LOYALTY_TIERS)})[tier + 1], store_id
      FROM unnest($1::int[], $2::float8[], $3::int[], $4::int[]) AS t(id, seen, tier, store_id)`,
  inventory: `INSERT INTO inventory_levels (store_id, product_id, on_hand, reorder_point, updated_at)
    SELECT store_id, product_id, on_hand, reorder_point, $5::timestamptz
      FROM unnest($1::int[], $2::int[], $3::int[], $4::int[]) AS t(store_id, product_id, on_hand, reorder_point)`,
  orders: `INSERT INTO orders (id, store_id, customer_id, placed_at, status, channel, item_count, total)
    SELECT id, store_id, customer_id, to_timestamp(placed), (${textArray(STATUSES)})[status + 1],
           (${textArray(CHANNELS)})[channel + 1], item_count, total / 100.0
      FROM unnest($1::int8[], $2::int[], $3::int[], $4::float8[], $5::int[], $6::int[], $7::int[], $8::int8[])
           AS t(id, store_id, customer_id, placed, status, channel, item_count, total)`,
  orderItems: `INSERT INTO order_items (id, order_id, product_id, quantity, unit_price, unit_cost)
    SELECT id, order_id, product_id, quantity, price / 100.0, cost / 100.0
      FROM unnest($1::int8[], $2::int8[], $3::int[], $4::int[], $5::int[], $6::int[]) AS t(id, order_id, product_id, quantity, price, cost)`,
  events: `INSERT INTO events (id, store_id, type, occurred_at, session_id, customer_id, properties, received_at)
    SELECT 'seed-' || n, store_id, (${textArray(EVENT_TYPES)})[type + 1], to_timestamp(occurred), 'sess-' || session,
           customer_id, properties::jsonb, to_timestamp(received)
      FROM unnest($1::int8[], $2::int[], $3::int[], $4::float8[], $5::int8[], $6::int[], $7::text[], $8::float8[])
           AS t(n, store_id, type, occurred, session, customer_id, properties, received)`,
};

/** Orders per scale unit; with 2.5 lines per order that is ~1M order items at scale 1. */
const ORDERS_AT_SCALE_1 = 400_000;
const EVENTS_AT_SCALE_1 = 300_000;
const OUT_OF_STOCK_SHARE = 0.03;
const LOW_STOCK_SHARE = 0.08;

/** Called after each day's rows are handed to the pipeline: `rows` of every table so far. */
export type OnSeedDay = (day: string, index: number, days: number, rows: number) => void;

export async function writeAll(
  pipeline: QueryPipeline,
  world: World,
  customers: SeedCustomer[],
  seed: number,
  scale: number,
  today: Date,
  logger?: Logger,
  onDay?: OnSeedDay,
): Promise<Record<SeededTable, number>> {
  const writer = (name: keyof typeof SQL, width: number, batchSize: number, extra: unknown[] = []) =>
    new BatchWriter(pipeline, `seed_${name}`, SQL[name], width, batchSize, extra);

  const stores = writer('stores', 4, 5000);
  for (const s of world.stores) stores.push(s.id, s.name, s.city, s.openedAt);
  await stores.flush();

  const categories = writer('categories', 2, 5000);
  CATEGORIES.forEach((c, i) => categories.push(i + 1, c.name));
  await categories.flush();

  const products = writer('products', 6, 5000);
  for (const p of world.products) products.push(p.id, p.sku, p.name, p.categoryId, p.priceCents, p.costCents);
  await products.flush();

  const customerRows = writer('customers', 4, 10_000);
  for (const c of customers) {
    customerRows.push(c.id, c.firstSeenSec, c.tier, c.homeStoreId);
    if (customerRows.full) await customerRows.flush();
  }
  await customerRows.flush();

  const inventory = writer('inventory', 4, 10_000, [today]);
  await writeInventory(inventory, world, new Random(seed, 'inventory'));

  const orders = writer('orders', 8, 5000);
  const items = writer('orderItems', 6, 10_000);
  const events = writer('events', 8, 10_000);
  const ordersPerUnit = (ORDERS_AT_SCALE_1 * scale) / volumeUnits(world);
  const sessionsPerUnit = (EVENTS_AT_SCALE_1 * scale) / EVENTS_PER_SESSION / volumeUnits(world, SESSION_WEEKDAY);
  const { cutoffSec } = world.window;
  let orderId = 0;
  let itemId = 0;
  let eventNo = 0;
  let sessionNo = 1;

  for (let day = 0; day < world.window.days; day++) {
    const dayKey = isoDay(world.window.startMs + day * DAY_MS);
    for (const order of generateDayOrders(world, day, ordersPerUnit, new Random(seed, `orders:${dayKey}`))) {
      if (order.placedSec > cutoffSec) break; // sorted by time: the rest of today is in the future
      const id = ++orderId;
      orders.push(id, order.storeId, order.customerId, order.placedSec, order.status, order.channel, order.itemCount, order.totalCents);
      const { lines } = order;
      for (let l = 0; l < lines.length; l += 4) items.push(++itemId, id, lines[l], lines[l + 1], lines[l + 2], lines[l + 3]);
      if (orders.full || items.full) {
        // Items reference their orders: the orders' batch is always sent first.
        await orders.flush();
        await items.flush();
      }
    }
    const dayEvents = generateDayEvents(world, day, sessionsPerUnit, sessionNo, new Random(seed, `events:${dayKey}`));
    sessionNo += dayEvents.sessions;
    for (const e of dayEvents.events) {
      if (e.occurredSec > cutoffSec) break;
      events.push(++eventNo, e.storeId, e.type, e.occurredSec, e.sessionNo, e.customerId, e.properties, Math.min(e.receivedSec, cutoffSec));
      if (events.full) await events.flush();
    }
    onDay?.(
      dayKey,
      day,
      world.window.days,
      stores.written + categories.written + products.written + customerRows.written + inventory.written + orderId + itemId + eventNo,
    );
    if (day % 30 === 29) logger?.debug({ day: dayKey, orders: orderId, orderItems: itemId, events: eventNo }, 'seed progress');
  }
  await orders.flush();
  await items.flush();
  await events.flush();
  await pipeline.drain();

  return {
    stores: stores.written,
    categories: categories.written,
    products: products.written,
    customers: customerRows.written,
    orders: orders.written,
    order_items: items.written,
    inventory_levels: inventory.written,
    events: events.written,
  };
}

/** Every store × product; exactly ~3% out of stock and ~8% low (0 < on hand <= reorder point). */
async function writeInventory(writer: BatchWriter, world: World, rng: Random): Promise<void> {
  const pairs = world.stores.flatMap((s) => world.products.map((p) => [s.id, p] as const));
  const order = rng.shuffle(pairs.map((_, i) => i));
  const state = new Uint8Array(pairs.length); // 0 OK, 1 LOW, 2 OUT
  const out = Math.round(pairs.length * OUT_OF_STOCK_SHARE);
  const low = Math.round(pairs.length * LOW_STOCK_SHARE);
  order.forEach((pair, rank) => (state[pair] = rank < out ? 2 : rank < out + low ? 1 : 0));
  for (const [i, [storeId, product]] of pairs.entries()) {
    const merchandise = CATEGORIES[product.categoryId - 1].name === 'Merchandise';
    const reorderPoint = merchandise ? rng.int(2, 6) : rng.int(8, 30);
    const onHand = state[i] === 2 ? 0 : state[i] === 1 ? rng.int(1, reorderPoint) : reorderPoint + rng.int(1, reorderPoint * 4 + 10);
    writer.push(storeId, product.id, onHand, reorderPoint);
    if (writer.full) await writer.flush();
  }
  await writer.flush();
}
