import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAdminStatements } from './helpers/admin-sql.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedDatabase, type SeedSummary } from '../db/seed/seed-database.js';
import { createDatabase, type Database } from '../src/db/database.js';
import { startEmbeddedPostgres, type RunningPostgres } from '../src/db/embedded-postgres.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { utcDayOf as utcDay } from '../src/days.js';
import { createLogger } from '../src/logger.js';

/**
 * The seed generator against a real (embedded) Postgres: two databases seeded with the
 * same scale, seed and `today` must be identical, and the data must be internally
 * consistent and shaped like a café chain's.
 */

const TODAY = new Date('2025-03-15T14:30:00Z');
const FIRST_DAY = '2024-09-17'; // 180 days up to and including 2025-03-15
const OPTIONS = { scale: 0.01, seed: 7, today: TODAY } as const;

const DATABASES = ['graphpulse_seed_test_a', 'graphpulse_seed_test_b'];

let dir: string | undefined;
let server: RunningPostgres | undefined;
let adminUrl: string;
let a: Database;
let b: Database;
let summary: SeedSummary;

const admin = (statements: string[]) => runAdminStatements(adminUrl, statements);

/** A fresh, migrated database: a leftover from an interrupted run would make the seed refuse. */
async function openDatabase(name: string): Promise<Database> {
  await admin([`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`, `CREATE DATABASE ${name}`]);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const database = createDatabase({ connectionString: url.toString(), poolMax: 3, statementTimeoutMs: 60_000, connectTimeoutMs: 10_000 });
  await migrateToLatest(database.db);
  return database;
}

async function rows<T = Record<string, unknown>>(database: Database, text: string, values: unknown[] = []): Promise<T[]> {
  return (await database.pool.query(text, values)).rows as T[];
}

async function value<T = number>(database: Database, text: string, values: unknown[] = []): Promise<T> {
  const [row] = await rows(database, text, values);
  return Object.values(row)[0] as T;
}

const CHECKSUMS = {
  stores: `SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM stores t`,
  products: `SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM products t`,
  customers: `SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM customers t`,
  orders: `SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM orders t`,
  order_items: `SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM order_items t`,
  inventory_levels: `SELECT md5(string_agg(t::text, '|' ORDER BY store_id, product_id)) FROM inventory_levels t`,
  events: `SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM events t`,
};

async function checksums(database: Database): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const [table, text] of Object.entries(CHECKSUMS)) result[table] = await value<string>(database, text);
  return result;
}

beforeAll(async () => {
  // The server of test/helpers/global-setup.ts when it runs; otherwise one of our own.
  adminUrl = inject('pgAdminUrl') ?? '';
  if (!adminUrl) {
    dir = mkdtempSync(join(tmpdir(), 'graphpulse-seed-test-'));
    server = await startEmbeddedPostgres(dir, createLogger('silent'), true);
    adminUrl = server.adminUrl;
  }
  [a, b] = await Promise.all(DATABASES.map(openDatabase));
  [summary] = await Promise.all([seedDatabase(a.pool, OPTIONS), seedDatabase(b.pool, OPTIONS)]);
});

afterAll(async () => {
  // Every connection closed before the databases are dropped WITH (FORCE) or the server stops (else 57P01).
  await Promise.all([a, b].map((database) => database.close()));
  if (server) {
    await server.stop();
  } else if (adminUrl) {
    await admin(DATABASES.map((name) => `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('seedDatabase', () => {
  it('reports what it wrote', async () => {
    expect(summary).toMatchObject({ scale: 0.01, seed: 7, from: FIRST_DAY, to: '2025-03-15' });
    expect(summary.counts).toMatchObject({ stores: 3, categories: 8, products: 80, customers: 500, inventory_levels: 240 });
    expect(summary.counts.orders).toBeGreaterThan(3000);
    expect(summary.counts.orders).toBeLessThan(5000);
    expect(summary.counts.order_items / summary.counts.orders).toBeGreaterThan(2);
    expect(summary.counts.order_items / summary.counts.orders).toBeLessThan(3);
    expect(summary.counts.events).toBeGreaterThan(2000);
    expect(summary.counts.events).toBeLessThan(4000);
    for (const [table, count] of Object.entries(summary.counts)) {
      expect(await value(a, `SELECT count(*) FROM ${table}`), table).toBe(count);
    }
  });

  it('is deterministic: same scale, seed and today give identical rows', async () => {
    const [first, second] = await Promise.all([checksums(a), checksums(b)]);
    expect(first.orders).toMatch(/^[0-9a-f]{32}$/);
    expect(second).toEqual(first);
  });

  it('keeps orders consistent with their items', async () => {
    const mismatches = await value(
      a,
      `SELECT count(*) FROM orders o
         LEFT JOIN (SELECT order_id, sum(quantity * unit_price) AS total, sum(quantity) AS items, count(*) AS lines
                      FROM order_items GROUP BY order_id) i ON i.order_id = o.id
        WHERE i.order_id IS NULL OR o.total <> i.total OR o.item_count <> i.items OR i.lines NOT BETWEEN 1 AND 5`,
    );
    expect(mismatches).toBe(0);
    const [items] = await rows<{ min_q: number; max_q: number; bad_cost: number; discounted: number; duplicates: number }>(
      a,
      `SELECT min(quantity) AS min_q, max(quantity) AS max_q,
              count(*) FILTER (WHERE oi.unit_cost <> p.unit_cost OR oi.unit_price > p.unit_price) AS bad_cost,
              count(*) FILTER (WHERE oi.unit_price < p.unit_price) AS discounted,
              count(*) - count(DISTINCT (order_id, product_id)) AS duplicates
         FROM order_items oi JOIN products p ON p.id = oi.product_id`,
    );
    expect(items).toEqual({ min_q: 1, max_q: 3, bad_cost: 0, discounted: expect.any(Number), duplicates: 0 });
    expect(items.discounted).toBeGreaterThan(0);
  });

  it('writes only valid references (foreign keys hold)', async () => {
    const orphans = await rows(
      a,
      `SELECT
         (SELECT count(*) FROM order_items oi WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = oi.order_id)) AS item_orders,
         (SELECT count(*) FROM order_items oi WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.id = oi.product_id)) AS item_products,
         (SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM stores s WHERE s.id = o.store_id)) AS order_stores,
         (SELECT count(*) FROM orders o WHERE o.customer_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = o.customer_id)) AS order_customers,
         (SELECT count(*) FROM customers c WHERE NOT EXISTS (SELECT 1 FROM stores s WHERE s.id = c.home_store_id)) AS customer_stores,
         (SELECT count(*) FROM products p WHERE NOT EXISTS (SELECT 1 FROM categories c WHERE c.id = p.category_id)) AS product_categories,
         (SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM stores s WHERE s.id = e.store_id)) AS event_stores,
         (SELECT count(*) FROM events e WHERE e.customer_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = e.customer_id)) AS event_customers`,
    );
    expect(
      Object.values(orphans[0]).every((n) => n === 0),
      JSON.stringify(orphans[0]),
    ).toBe(true);
    // Serial columns continue after the explicit ids.
    expect(await value(a, `SELECT nextval(pg_get_serial_sequence('orders', 'id')) - (SELECT max(id) FROM orders)`)).toBe(1);
  });

  it('covers the 180 days up to today and never the future', async () => {
    const [range] = await rows<{ first: string; last: Date; days: number }>(
      a,
      `SELECT min(placed_at AT TIME ZONE 'UTC')::date AS first, max(placed_at) AS last,
              count(DISTINCT (placed_at AT TIME ZONE 'UTC')::date) AS days FROM orders`,
    );
    expect(range.first).toBe(FIRST_DAY);
    expect(range.days).toBe(180);
    expect(range.last.getTime()).toBeLessThanOrEqual(TODAY.getTime());
    expect(range.last.getTime()).toBeGreaterThan(TODAY.getTime() - 3 * 3600_000);
    const [events] = await rows<{ first: string; last: Date; received: Date }>(
      a,
      `SELECT min(occurred_at AT TIME ZONE 'UTC')::date AS first, max(occurred_at) AS last, max(received_at) AS received FROM events`,
    );
    expect(events.first).toBe(FIRST_DAY);
    expect(events.last.getTime()).toBeLessThanOrEqual(TODAY.getTime());
    expect(events.received.getTime()).toBeLessThanOrEqual(TODAY.getTime());
    expect(await value(a, `SELECT count(*) FROM customers WHERE first_seen_at > $1`, [TODAY])).toBe(0);
    expect(await value(a, `SELECT count(*) FROM stores WHERE opened_at >= $1::date`, [FIRST_DAY])).toBe(0);
    // Nobody orders before they were first seen.
    expect(
      await value(a, `SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.placed_at < c.first_seen_at`),
    ).toBe(0);
  });

  it('has a catalogue of ~80 products in 8 categories with cost below price', async () => {
    const categories = await rows<{ name: string; products: number }>(
      a,
      `SELECT c.name, count(p.id)::int AS products FROM categories c LEFT JOIN products p ON p.category_id = c.id GROUP BY c.id ORDER BY c.id`,
    );
    expect(categories.map((c) => c.name)).toEqual([
      'Coffee',
      'Tea',
      'Pastries',
      'Sandwiches',
      'Salads',
      'Desserts',
      'Beverages',
      'Merchandise',
    ]);
    expect(categories.every((c) => c.products === 10)).toBe(true);
    expect(await value(a, `SELECT count(*) FROM products WHERE unit_cost >= unit_price OR unit_cost <= 0`)).toBe(0);
    expect(await value(a, `SELECT count(*) FROM products WHERE sku !~ '^[A-Z]{3}-[0-9]{3}$'`)).toBe(0);
    expect(await value<string>(a, `SELECT sku FROM products WHERE id = 1`)).toBe('COF-001');
    expect(await value<string>(a, `SELECT name FROM stores WHERE id = 1`)).toBe('Lisbon Baixa');
    expect(await value<string>(a, `SELECT name FROM products WHERE sku = 'SAL-005'`)).toBe('Niçoise Salad');
  });

  it('has refunds, anonymous orders, every channel and loyalty tier', async () => {
    const [shares] = await rows<{ refunded: number; anonymous: number; channels: number; tiers: number }>(
      a,
      `SELECT avg((status = 'REFUNDED')::int)::float AS refunded, avg((customer_id IS NULL)::int)::float AS anonymous,
              count(DISTINCT channel)::int AS channels, (SELECT count(DISTINCT loyalty_tier)::int FROM customers) AS tiers
         FROM orders`,
    );
    expect(shares.refunded).toBeGreaterThan(0.01);
    expect(shares.refunded).toBeLessThan(0.06);
    expect(shares.anonymous).toBeGreaterThan(0.22);
    expect(shares.anonymous).toBeLessThan(0.38);
    expect(shares.channels).toBe(3);
    expect(shares.tiers).toBe(4);
  });

  it('has low and out-of-stock inventory for every store × product', async () => {
    const [inventory] = await rows<{ total: number; low: number; out: number }>(
      a,
      `SELECT count(*) AS total, count(*) FILTER (WHERE on_hand > 0 AND on_hand <= reorder_point) AS low,
              count(*) FILTER (WHERE on_hand = 0) AS out FROM inventory_levels`,
    );
    expect(inventory.total).toBe(3 * 80);
    expect(inventory.out).toBe(Math.round(240 * 0.03));
    expect(inventory.low).toBe(Math.round(240 * 0.08));
  });

  it('has repeat customers, some of them frequent', async () => {
    const [repeat] = await rows<{ repeaters: number; top: number }>(
      a,
      `SELECT count(*) FILTER (WHERE n >= 2) AS repeaters, max(n) AS top
         FROM (SELECT customer_id, count(*) AS n FROM orders WHERE customer_id IS NOT NULL GROUP BY 1) t`,
    );
    expect(repeat.repeaters).toBeGreaterThan(200);
    expect(repeat.top).toBeGreaterThanOrEqual(20);
  });

  it('follows the daily and weekly rhythm', async () => {
    expect(
      await value(a, `SELECT count(*) FROM orders WHERE channel = 'IN_STORE' AND extract(hour FROM placed_at AT TIME ZONE 'UTC') < 6`),
    ).toBe(0);
    const hours = await rows<{ hour: number; orders: number }>(
      a,
      `SELECT extract(hour FROM placed_at AT TIME ZONE 'UTC')::int AS hour, count(*)::int AS orders
         FROM orders WHERE channel = 'IN_STORE' AND extract(isodow FROM placed_at AT TIME ZONE 'UTC') < 6 GROUP BY 1`,
    );
    const at = (h: number) => hours.find((r) => r.hour === h)?.orders ?? 0;
    expect(at(8)).toBeGreaterThan(at(16) * 1.5); // morning peak
    expect(at(12)).toBeGreaterThan(at(15) * 1.5); // lunch peak
    const [week] = await rows<{ weekend: number; weekday: number }>(
      a,
      `SELECT avg(n) FILTER (WHERE dow IN (0, 6))::float AS weekend, avg(n) FILTER (WHERE dow NOT IN (0, 6))::float AS weekday
         FROM (SELECT (placed_at AT TIME ZONE 'UTC')::date AS day, extract(dow FROM placed_at AT TIME ZONE 'UTC') AS dow, count(*) AS n
                 FROM orders WHERE placed_at < $1::date GROUP BY 1, 2) d`,
      ['2025-03-15'],
    );
    expect(week.weekend).toBeGreaterThan(week.weekday);
  });

  it('has events shaped like a funnel', async () => {
    const counts = Object.fromEntries(
      (await rows<{ type: string; n: number }>(a, `SELECT type, count(*) AS n FROM events GROUP BY type`)).map((r) => [r.type, r.n]),
    );
    expect(counts.VISIT).toBeGreaterThan(counts.PAGE_VIEW);
    expect(counts.PAGE_VIEW).toBeGreaterThan(counts.ADD_TO_CART);
    expect(counts.ADD_TO_CART).toBeGreaterThan(counts.CHECKOUT);
    expect(counts.CHECKOUT).toBeGreaterThan(0);
    expect(await value(a, `SELECT count(*) FROM events WHERE id !~ '^seed-[0-9]+$' OR session_id IS NULL`)).toBe(0);
    expect(await value(a, `SELECT count(*) FROM events WHERE customer_id IS NOT NULL`)).toBeGreaterThan(0);
    const sources = await rows<{ source: string }>(
      a,
      `SELECT DISTINCT properties->>'source' AS source FROM events WHERE type = 'VISIT' AND properties IS NOT NULL`,
    );
    expect(sources.map((r) => r.source).sort()).toEqual(['ads', 'direct', 'email', 'organic', 'social']);
  });

  it('leaves the materialized views refreshed and equal to the base tables', async () => {
    const [totals] = await rows<{ view: number; base: number; units_view: number; units_base: number }>(
      a,
      `SELECT (SELECT sum(revenue) FROM mv_daily_revenue) AS view,
              (SELECT sum(total) FROM orders WHERE status = 'COMPLETED') AS base,
              (SELECT sum(units) FROM mv_product_performance) AS units_view,
              (SELECT sum(oi.quantity) FROM order_items oi JOIN orders o ON o.id = oi.order_id WHERE o.status = 'COMPLETED') AS units_base`,
    );
    expect(totals.view).toBe(totals.base);
    expect(totals.units_view).toBe(totals.units_base);
    expect(await value<string>(a, `SELECT covered_until FROM aggregate_state`)).toBe(utcDay(new Date()));
  });

  it('refuses a database that already has data, and changes nothing', async () => {
    const before = await checksums(a);
    await expect(seedDatabase(a.pool, OPTIONS)).rejects.toThrow(/already has data.*reset/);
    expect(await checksums(a)).toEqual(before);
  });

  it('with reset, replaces the data and keeps api keys', async () => {
    await b.pool.query(`INSERT INTO api_keys (name, key_hash, role) VALUES ('keep me', 'hash-1', 'ADMIN')`);
    const reseeded = await seedDatabase(b.pool, { ...OPTIONS, seed: 8, reset: true });
    expect(reseeded.counts.stores).toBe(3);
    expect(await value(b, `SELECT count(*) FROM api_keys`)).toBe(1);
    expect(await value(b, `SELECT min(id) FROM orders`)).toBe(1);
    const [other, original] = await Promise.all([checksums(b), checksums(a)]);
    expect(other.orders).not.toBe(original.orders);
    expect(other.products).not.toBe(original.products); // costs are drawn from the seed
  });

  it('rejects bad options with the bad value', async () => {
    await expect(seedDatabase(a.pool, { scale: 0 })).rejects.toThrow(/scale must be a positive number, got 0/);
    await expect(seedDatabase(a.pool, { scale: 1, seed: 1.5 })).rejects.toThrow(/seed must be an integer, got 1.5/);
  });
});
