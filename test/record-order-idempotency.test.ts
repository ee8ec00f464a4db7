import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/database.js';
import { orderIdempotency } from '../src/use-cases/order-idempotency.js';
import { RecordOrderDocument, type OrderInput } from './generated/graphql.js';
import { STORE_SALES } from './helpers/cache-probe.js';
import { utcDaysAgo } from './helpers/dates.js';
import { dataOf, type GraphqlResponse } from './helpers/graphql-client.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * recordOrder with OrderInput.idempotencyKey, over HTTP against the file's own database:
 * a repeat answers with the first order and writes nothing, a different order under a used
 * key is refused, racing calls record one order, and calls without a key behave as before.
 * Rows are checked with plain SQL.
 */

let server: TestServer;
let db: Db;
let storeId: number;
let otherStoreId: number;
let customerId: number;
/** Products stocked at `storeId` with plenty on hand. */
let products: number[];

function recordOrder(input: OrderInput) {
  return server.request(RecordOrderDocument, { variables: { input } });
}

const line = (productId: number, quantity: number) => ({ productId: String(productId), quantity });
/** A key no other test uses. */
const newKey = () => `order-${randomUUID()}`;

function expectBadInput(response: GraphqlResponse<{ recordOrder: unknown }>, message: RegExp): void {
  const error = response.body.errors?.[0];
  if (!error) throw new Error(`Expected an error, got ${JSON.stringify(response.body)}`);
  expect({ code: error.extensions?.code, message: error.message, data: response.body.data?.recordOrder ?? null }).toEqual({
    code: 'BAD_USER_INPUT',
    message: expect.stringMatching(message),
    data: null,
  });
}

/** Everything an order writes; a repeat or a refused call must leave all of it as it was. */
async function snapshot() {
  const { rows } = await sql<{ orders: number; items: number; stock: number; version: number }>`
    SELECT (SELECT count(*) FROM orders)::int AS orders,
           (SELECT count(*) FROM order_items)::int AS items,
           (SELECT sum(on_hand) FROM inventory_levels)::int AS stock,
           (SELECT version FROM aggregate_state WHERE id = 1)::int AS version`.execute(db);
  return rows[0];
}

/** The orders carrying `key`, at any store. */
async function ordersWithKey(key: string) {
  const { rows } = await sql<{ id: string; store_id: number }>`
    SELECT id::text, store_id FROM orders WHERE idempotency_key = ${key} ORDER BY id`.execute(db);
  return rows;
}

beforeAll(async () => {
  server = await startTestServer();
  db = server.app.services.database.db;
  const stores = await db.selectFrom('stores').select('id').orderBy('id').limit(2).execute();
  [storeId, otherStoreId] = stores.map((s) => s.id);
  // Enough on hand that no sale here runs a level down to zero (the snapshots count stock exactly).
  const { rows } = await sql<{ product_id: number }>`
    SELECT product_id FROM inventory_levels WHERE store_id = ${storeId} AND on_hand >= 60 ORDER BY product_id LIMIT 3`.execute(db);
  products = rows.map((r) => r.product_id);
  customerId = (await db.selectFrom('customers').select('id').orderBy('id').limit(1).executeTakeFirstOrThrow()).id;
});
afterAll(() => server?.stop());

describe('recordOrder with an idempotencyKey', () => {
  it('the same call twice: one order row, and both answers are that order', async () => {
    expect(products).toHaveLength(3);
    const key = newKey();
    const input = { storeId: String(storeId), customerId: String(customerId), channel: 'ONLINE' as const, items: [line(products[0], 2)] };
    const first = dataOf(await recordOrder({ ...input, idempotencyKey: key })).recordOrder;
    const afterFirst = await snapshot();

    const second = dataOf(await recordOrder({ ...input, idempotencyKey: key })).recordOrder;
    expect(second).toEqual(first);
    expect(second.items).toHaveLength(1);
    expect(await snapshot()).toEqual(afterFirst); // no order, line, stock change or watermark move
    expect(await ordersWithKey(key)).toEqual([{ id: first.id, store_id: storeId }]);
  });

  it('a repeat leaves cached answers cached; a new order still refreshes them', async () => {
    const today = utcDaysAgo(0);
    const sales = { variables: { id: String(storeId), range: { from: today, to: today } } };
    const key = newKey();
    const input = { storeId: String(storeId), items: [line(products[1], 1)], idempotencyKey: key };
    const first = dataOf(await recordOrder(input)).recordOrder;
    await server.request(STORE_SALES, sales);
    expect((await server.request(STORE_SALES, sales)).headers.get('x-cache')).toBe('HIT');

    expect(dataOf(await recordOrder(input)).recordOrder.id).toBe(first.id);
    const afterRepeat = await server.request(STORE_SALES, sales);
    expect(afterRepeat.headers.get('x-cache')).toBe('HIT');

    // The probe does see invalidation: a new order (another key) makes it recompute.
    dataOf(await recordOrder({ ...input, idempotencyKey: newKey() }));
    const afterNew = await server.request(STORE_SALES, sales);
    expect(afterNew.headers.get('x-cache')).toBe('MISS');
    expect(dataOf(afterNew).store.revenue.orders).toBe(dataOf(afterRepeat).store.revenue.orders + 1);
  });

  it('lines compare as quantities per product: split or reordered lines and a spelled-out default are the same order', async () => {
    const key = newKey();
    const first = dataOf(
      await recordOrder({ storeId: String(storeId), items: [line(products[0], 2), line(products[1], 1)], idempotencyKey: key }),
    ).recordOrder;
    const again = dataOf(
      await recordOrder({
        storeId: String(storeId),
        channel: 'IN_STORE',
        items: [line(products[1], 1), line(products[0], 1), line(products[0], 1)],
        idempotencyKey: key,
      }),
    ).recordOrder;
    expect(again).toEqual(first);
    expect(await ordersWithKey(key)).toHaveLength(1);
  });

  it('a repeat of an order at a past day answers with it, placedAt as first recorded', async () => {
    const key = newKey();
    const input = {
      storeId: String(storeId),
      placedAt: `${utcDaysAgo(3)}T08:15:00.000Z`,
      items: [line(products[2], 1)],
      idempotencyKey: key,
    };
    const first = dataOf(await recordOrder(input)).recordOrder;
    const before = await snapshot();
    expect(dataOf(await recordOrder(input)).recordOrder).toEqual(first);
    expect(await snapshot()).toEqual(before);
  });

  describe('the same key with a different order: BAD_USER_INPUT saying so, nothing written', () => {
    const base = () => ({
      storeId: String(storeId),
      customerId: String(customerId),
      channel: 'DELIVERY' as const,
      items: [line(products[0], 1), line(products[1], 2)],
    });
    const changes: Array<[string, () => Partial<OrderInput>]> = [
      ['another quantity', () => ({ items: [line(products[0], 1), line(products[1], 3)] })],
      ['another product', () => ({ items: [line(products[0], 1), line(products[2], 2)] })],
      ['a line less', () => ({ items: [line(products[0], 1)] })],
      ['another channel', () => ({ channel: 'ONLINE' })],
      ['no customer', () => ({ customerId: null })],
      ['a placedAt where the first had none', () => ({ placedAt: new Date(Date.now() - 60_000).toISOString() })],
    ];
    for (const [name, change] of changes) {
      it(name, async () => {
        const key = newKey();
        const first = dataOf(await recordOrder({ ...base(), idempotencyKey: key })).recordOrder;
        const before = await snapshot();
        expectBadInput(
          await recordOrder({ ...base(), ...change(), idempotencyKey: key }),
          /idempotencyKey .* was already used for a different order/,
        );
        expect(await snapshot()).toEqual(before);
        expect(await ordersWithKey(key)).toEqual([{ id: first.id, store_id: storeId }]);
        // The key still answers the order it was first used for.
        expect(dataOf(await recordOrder({ ...base(), idempotencyKey: key })).recordOrder).toEqual(first);
      });
    }
  });

  it('keys are per store: the same key at another store records that store its own order', async () => {
    const key = newKey();
    const items = [line(products[0], 1)];
    const here = dataOf(await recordOrder({ storeId: String(storeId), items, idempotencyKey: key })).recordOrder;
    const there = dataOf(await recordOrder({ storeId: String(otherStoreId), items, idempotencyKey: key })).recordOrder;
    expect(there.id).not.toBe(here.id);
    expect(there.store.id).toBe(String(otherStoreId));
    expect(await ordersWithKey(key)).toEqual([
      { id: here.id, store_id: storeId },
      { id: there.id, store_id: otherStoreId },
    ]);
  });

  it('10 concurrent calls with one key: exactly one order, stock taken once, 10 equal answers', async () => {
    const key = newKey();
    const input = { storeId: String(storeId), customerId: String(customerId), items: [line(products[2], 3)], idempotencyKey: key };
    const before = await snapshot();
    const responses = await Promise.all(Array.from({ length: 10 }, () => recordOrder(input)));
    const orders = responses.map((r) => dataOf(r).recordOrder);
    for (const order of orders) expect(order).toEqual(orders[0]);
    expect(await ordersWithKey(key)).toEqual([{ id: orders[0].id, store_id: storeId }]);
    const after = await snapshot();
    expect({ orders: after.orders - before.orders, items: after.items - before.items, stock: before.stock - after.stock }).toEqual({
      orders: 1,
      items: 1,
      stock: 3,
    });
  });

  describe('a call racing an uncommitted order with its key waits for that transaction', () => {
    const input = (key: string) => ({
      storeId: String(storeId),
      customerId: String(customerId),
      items: [line(products[1], 1)],
      idempotencyKey: key,
    });

    /**
     * Holds, in a transaction of its own, an order with `key` whose digest is that of
     * `holds` (the racing call's rule, so a match can be arranged), sends the call once the
     * row is in, waits until the call's insert is blocked on it, then ends the transaction.
     */
    async function race(key: string, holds: OrderInput, end: 'COMMIT' | 'ROLLBACK') {
      const idempotency = orderIdempotency(key, {
        storeId: Number(holds.storeId),
        customerId: holds.customerId ? Number(holds.customerId) : null,
        channel: holds.channel ?? 'IN_STORE',
        placedAt: null,
        quantities: new Map(holds.items.map((i) => [Number(i.productId), i.quantity])),
      });
      const blocker = new pg.Client({ connectionString: server.databaseUrl });
      await blocker.connect();
      try {
        await blocker.query('BEGIN');
        const { rows } = await blocker.query<{ id: string }>(
          `INSERT INTO orders (store_id, customer_id, placed_at, status, channel, item_count, total, idempotency_key, idempotency_fingerprint)
           VALUES ($1, $2, now(), 'COMPLETED', 'IN_STORE', 1, 1.00, $3, $4) RETURNING id::text`,
          [storeId, customerId, key, idempotency?.fingerprint],
        );
        const pending = recordOrder(input(key));
        await waitFor(
          async () => {
            const { rows: waiting } = await sql<{ n: number }>`
              SELECT count(*)::int AS n FROM pg_stat_activity
               WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE 'insert into "orders"%'`.execute(db);
            return waiting[0].n === 1;
          },
          { timeoutMs: 10_000, what: "recordOrder's insert waiting on the held key" },
        );
        await blocker.query(end);
        return { held: rows[0].id, response: await pending };
      } finally {
        await blocker.end();
      }
    }

    it('it commits: the call rolls back and answers with the committed order', async () => {
      const key = newKey();
      const before = await snapshot();
      const { held, response } = await race(key, input(key), 'COMMIT');
      expect(dataOf(response).recordOrder.id).toBe(held);
      expect(await ordersWithKey(key)).toEqual([{ id: held, store_id: storeId }]);
      const after = await snapshot();
      // Only the held row: the call's lines and stock change were rolled back with its order.
      expect({ orders: after.orders - before.orders, items: after.items, stock: after.stock }).toEqual({
        orders: 1,
        items: before.items,
        stock: before.stock,
      });
    });

    it('it commits a different order: BAD_USER_INPUT, and only that order is written', async () => {
      const key = newKey();
      const before = await snapshot();
      const { held, response } = await race(key, { ...input(key), items: [line(products[1], 5)] }, 'COMMIT');
      expectBadInput(response, /already used for a different order/);
      expect(await ordersWithKey(key)).toEqual([{ id: held, store_id: storeId }]);
      expect((await snapshot()).items).toBe(before.items);
    });

    it('it rolls back: the call records its own order', async () => {
      const key = newKey();
      const before = await snapshot();
      const { held, response } = await race(key, input(key), 'ROLLBACK');
      const order = dataOf(response).recordOrder;
      expect(order.id).not.toBe(held);
      expect(await ordersWithKey(key)).toEqual([{ id: order.id, store_id: storeId }]);
      const after = await snapshot();
      expect({ orders: after.orders - before.orders, items: after.items - before.items, stock: before.stock - after.stock }).toEqual({
        orders: 1,
        items: 1,
        stock: 1,
      });
    });
  });

  it('without a key, two equal calls record two orders, as before', async () => {
    const input = { storeId: String(storeId), items: [line(products[0], 1)] };
    const before = await snapshot();
    const a = dataOf(await recordOrder(input)).recordOrder;
    const b = dataOf(await recordOrder(input)).recordOrder;
    expect(b.id).not.toBe(a.id);
    expect((await snapshot()).orders).toBe(before.orders + 2);
    const { rows } = await sql<{ keys: number }>`
      SELECT count(idempotency_key)::int AS keys FROM orders WHERE id = ANY(${[Number(a.id), Number(b.id)]})`.execute(db);
    expect(rows[0].keys).toBe(0);
  });

  describe('an invalid key: BAD_USER_INPUT naming the field, nothing written', () => {
    const invalid: Array<[string, string, RegExp]> = [
      ['empty', '', /empty string/],
      ['101 characters', 'k'.repeat(101), /101 characters/],
      ['a newline', 'order-1\n', /U\+000A at character 8/],
      ['a NUL', 'a\u0000b', /U\+0000 at character 2/],
      ['a tab', '\torder', /U\+0009 at character 1/],
      ['DEL', 'order\u007f', /U\+007F/],
      ['non-ASCII', 'commande-é', /U\+00E9 at character 10/],
    ];
    for (const [name, key, detail] of invalid) {
      it(name, async () => {
        const before = await snapshot();
        const response = await recordOrder({ storeId: String(storeId), items: [line(products[0], 1)], idempotencyKey: key });
        expectBadInput(response, /^input\.idempotencyKey must be 1 to 100 printable ASCII characters/);
        expectBadInput(response, detail);
        expect(response.body.errors?.[0].extensions?.argument).toBe('input.idempotencyKey');
        expect(await snapshot()).toEqual(before);
      });
    }

    it('the edges are valid: 100 characters, and every printable one from space to ~', async () => {
      const longest = 'k'.repeat(100);
      const printable = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
      for (const key of [longest, printable]) {
        const order = dataOf(
          await recordOrder({ storeId: String(storeId), items: [line(products[0], 1)], idempotencyKey: key }),
        ).recordOrder;
        expect(await ordersWithKey(key)).toEqual([{ id: order.id, store_id: storeId }]);
      }
    });
  });
});
