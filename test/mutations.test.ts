import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/database.js';
import { onHandOf } from '../src/db/writes/adjust-inventory.js';
import {
  AdjustInventoryDocument,
  CreateApiKeyDocument,
  OrdersWithRelationsDocument,
  ProductDetailsDocument,
  RecordOrderDocument,
  TStoreInventoryDocument,
  TStoreRevenueDocument,
  type OrderInput,
  type Role,
} from './generated/graphql.js';
import { dataOf, type GraphqlResponse } from './helpers/graphql-client.js';
import { lastDays, utcDaysAgo } from './helpers/dates.js';
import { cents, inventoryTruth, revenueTruth, statusOf } from './helpers/sql-truth.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

let server: TestServer;
let db: Db;
let viewerKey: string;
let ingestKey: string;
let storeId: number;
let otherStoreId: number;
let customerId: number;
/** Products stocked at `storeId` with plenty on hand, by id. */
let stocked: Array<{ id: number; price: number; cost: number }>;

async function createKey(role: Role, storeIds?: number[]): Promise<string> {
  const data = dataOf(
    await server.request(CreateApiKeyDocument, {
      variables: { name: `mutations ${role}`, role, storeIds: storeIds?.map(String) ?? null },
    }),
  );
  expect(data.createApiKey.role).toBe(role);
  return data.createApiKey.key;
}

/** The first error of a response that must have failed. */
function errorOf(response: GraphqlResponse<unknown>) {
  const error = response.body.errors?.[0];
  if (!error) throw new Error(`Expected an error, got ${JSON.stringify(response.body)}`);
  return error;
}

function expectError(response: GraphqlResponse<unknown>, code: string, message: RegExp): void {
  const error = errorOf(response);
  expect({ code: error.extensions?.code, message: error.message }).toEqual({ code, message: expect.stringMatching(message) });
}

/** Everything a failed write must leave as it was. */
async function snapshot() {
  const { rows } = await sql<{ orders: number; items: number; stock: number; version: number; covered: string }>`
    SELECT (SELECT count(*) FROM orders)::int AS orders,
           (SELECT count(*) FROM order_items)::int AS items,
           (SELECT sum(on_hand) FROM inventory_levels)::int AS stock,
           (SELECT version FROM aggregate_state WHERE id = 1)::int AS version,
           (SELECT covered_until FROM aggregate_state WHERE id = 1) AS covered`.execute(db);
  return rows[0];
}

const onHand = (store: number, product: number) => onHandOf(db, store, product);

function recordOrder(input: OrderInput, key?: string) {
  return server.request(RecordOrderDocument, { variables: { input }, ...(key ? { key } : {}) });
}

const line = (productId: number | string, quantity: number) => ({ productId: String(productId), quantity });

beforeAll(async () => {
  server = await startTestServer();
  db = server.app.services.database.db;
  const stores = await db.selectFrom('stores').select('id').orderBy('id').execute();
  storeId = stores[0].id;
  otherStoreId = stores[1].id;
  const { rows } = await sql<{ id: number; price: number; cost: number }>`
    SELECT p.id, p.unit_price AS price, p.unit_cost AS cost
      FROM products p JOIN inventory_levels l ON l.product_id = p.id AND l.store_id = ${storeId}
     WHERE l.on_hand >= 50
     ORDER BY p.id LIMIT 6`.execute(db);
  stocked = rows;
  const customer = await db.selectFrom('customers').select('id').orderBy('id').limit(1).executeTakeFirstOrThrow();
  customerId = customer.id;
  viewerKey = await createKey('VIEWER');
  ingestKey = await createKey('INGEST');
});
afterAll(() => server?.stop());

describe('recordOrder', () => {
  it('writes the order at catalogue prices, takes the stock off the shelf and shows it at once', async () => {
    expect(stocked.length).toBe(6);
    const [a, b] = stocked;
    const today = lastDays(1);
    // Warm every answer the order must change, so a stale cache would show.
    const revenueBefore = dataOf(
      await server.request(TStoreRevenueDocument, { variables: { id: String(storeId), range: today, granularity: 'DAY' } }),
    );
    const listBefore = dataOf(await server.request(OrdersWithRelationsDocument, { variables: { storeId: String(storeId), first: 3 } }));
    const stockBefore = { a: await onHand(storeId, a.id), b: await onHand(storeId, b.id), other: await onHand(otherStoreId, a.id) };
    const before = await snapshot();

    const response = await recordOrder({
      storeId: String(storeId),
      customerId: String(customerId),
      channel: 'DELIVERY',
      items: [line(a.id, 2), line(b.id, 3), line(a.id, 1)],
    });
    const order = dataOf(response).recordOrder;
    const expectedCents = 3 * cents(a.price) + 3 * cents(b.price);

    expect(cents(order.total)).toBe(expectedCents);
    expect(order).toMatchObject({
      status: 'COMPLETED',
      channel: 'DELIVERY',
      store: { id: String(storeId) },
      customer: { id: String(customerId) },
    });
    expect(Math.abs(Date.parse(order.placedAt) - Date.now())).toBeLessThan(60_000);
    // Lines: catalogue price, quantity per product, line totals adding up to the total.
    const perProduct = new Map<string, number>();
    for (const item of order.items) {
      expect(item.unitPrice).toBe(item.product.unitPrice);
      expect(cents(item.lineTotal)).toBe(item.quantity * cents(item.unitPrice));
      perProduct.set(item.product.id, (perProduct.get(item.product.id) ?? 0) + item.quantity);
    }
    expect(Object.fromEntries(perProduct)).toEqual({ [String(a.id)]: 3, [String(b.id)]: 3 });
    expect(order.items.reduce((sum, item) => sum + cents(item.lineTotal), 0)).toBe(expectedCents);

    // The rows as written.
    const row = await db.selectFrom('orders').selectAll().where('id', '=', Number(order.id)).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ store_id: storeId, customer_id: customerId, status: 'COMPLETED', channel: 'DELIVERY', item_count: 6 });
    expect(cents(row.total)).toBe(expectedCents);
    const items = await db.selectFrom('order_items').selectAll().where('order_id', '=', Number(order.id)).orderBy('product_id').execute();
    const byProduct = new Map<number, { quantity: number; price: number; cost: number }>();
    for (const item of items) {
      const seen = byProduct.get(item.product_id) ?? { quantity: 0, price: item.unit_price, cost: item.unit_cost };
      byProduct.set(item.product_id, { ...seen, quantity: seen.quantity + item.quantity });
    }
    expect(Object.fromEntries(byProduct)).toEqual({
      [a.id]: { quantity: 3, price: a.price, cost: a.cost },
      [b.id]: { quantity: 3, price: b.price, cost: b.cost },
    });
    const after = await snapshot();
    expect(after.orders).toBe(before.orders + 1);
    expect(after.items).toBe(before.items + items.length);

    // Stock taken off this store's shelf only.
    expect(await onHand(storeId, a.id)).toBe(stockBefore.a! - 3);
    expect(await onHand(storeId, b.id)).toBe(stockBefore.b! - 3);
    expect(await onHand(otherStoreId, a.id)).toBe(stockBefore.other);

    // Visible at once: newest first in the orders list, and in today's revenue.
    const list = dataOf(await server.request(OrdersWithRelationsDocument, { variables: { storeId: String(storeId), first: 3 } }));
    expect(list.orders.totalCount).toBe(listBefore.orders.totalCount + 1);
    expect(list.orders.edges[0].node).toMatchObject({
      id: order.id,
      total: order.total,
      status: 'COMPLETED',
      channel: 'DELIVERY',
      customer: { id: String(customerId) },
    });
    const revenue = dataOf(
      await server.request(TStoreRevenueDocument, { variables: { id: String(storeId), range: today, granularity: 'DAY' } }),
    );
    const was = revenueBefore.store!.revenue;
    const now = revenue.store!.revenue;
    expect({ total: cents(now.total), orders: now.orders, items: now.items }).toEqual({
      total: cents(was.total) + expectedCents,
      orders: was.orders + 1,
      items: was.items + 6,
    });
    const truth = await revenueTruth(db, [storeId], today, 'DAY');
    expect(cents(now.total)).toBe(truth.totalCents);
    expect(now.orders).toBe(truth.orders);
  });

  it('records a guest order for a past day and echoes placedAt', async () => {
    const placedAt = `${utcDaysAgo(5)}T09:30:00.000Z`;
    const order = dataOf(await recordOrder({ storeId: String(storeId), placedAt, items: [line(stocked[2].id, 1)] })).recordOrder;
    expect(order.customer).toBeNull();
    expect(order.channel).toBe('IN_STORE'); // the default
    expect(new Date(order.placedAt).toISOString()).toBe(placedAt);
    const covered = (await snapshot()).covered;
    expect(covered <= utcDaysAgo(5)).toBe(true);
  });

  it('takes at most 1000 of one line, and never leaves stock below zero', async () => {
    const product = stocked[3];
    const before = (await onHand(storeId, product.id))!;
    const order = dataOf(await recordOrder({ storeId: String(storeId), items: [line(product.id, 1000)] })).recordOrder;
    expect(cents(order.total)).toBe(1000 * cents(product.price));
    expect(await onHand(storeId, product.id)).toBe(Math.max(0, before - 1000));
  });

  describe('refuses bad orders with a stable code, a message naming the problem, and nothing written', () => {
    const cases: Array<{ name: string; input: () => OrderInput; code: string; message: RegExp }> = [
      {
        name: 'unknown store',
        input: () => ({ storeId: '999999', items: [line(stocked[0].id, 1)] }),
        code: 'NOT_FOUND',
        message: /Store.*999999/,
      },
      {
        name: 'unknown product among known ones',
        input: () => ({ storeId: String(storeId), items: [line(stocked[0].id, 1), line(888888, 2)] }),
        code: 'NOT_FOUND',
        message: /Product.*888888/,
      },
      {
        name: 'unknown customer',
        input: () => ({ storeId: String(storeId), customerId: '777777', items: [line(stocked[0].id, 1)] }),
        code: 'NOT_FOUND',
        message: /Customer.*777777/,
      },
      {
        name: 'quantity 0',
        input: () => ({ storeId: String(storeId), items: [line(stocked[0].id, 0)] }),
        code: 'BAD_USER_INPUT',
        message: /quantity.*0/,
      },
      {
        name: 'quantity over 1000 on a later line',
        input: () => ({ storeId: String(storeId), items: [line(stocked[0].id, 1), line(stocked[1].id, 1001)] }),
        code: 'BAD_USER_INPUT',
        message: /items\[1\]\.quantity.*1001/,
      },
      {
        name: 'negative quantity',
        input: () => ({ storeId: String(storeId), items: [line(stocked[0].id, -2)] }),
        code: 'BAD_USER_INPUT',
        message: /quantity/,
      },
      { name: 'no items', input: () => ({ storeId: String(storeId), items: [] }), code: 'BAD_USER_INPUT', message: /items/ },
      {
        name: '101 lines',
        input: () => ({ storeId: String(storeId), items: Array.from({ length: 101 }, () => line(stocked[0].id, 1)) }),
        code: 'BAD_USER_INPUT',
        message: /items.*101/,
      },
      {
        name: 'placedAt an hour in the future',
        input: () => ({
          storeId: String(storeId),
          placedAt: new Date(Date.now() + 3_600_000).toISOString(),
          items: [line(stocked[0].id, 1)],
        }),
        code: 'BAD_USER_INPUT',
        message: /placedAt.*future/,
      },
      {
        name: 'placedAt three years ago',
        input: () => ({
          storeId: String(storeId),
          placedAt: new Date(Date.now() - 3 * 365 * 86_400_000).toISOString(),
          items: [line(stocked[0].id, 1)],
        }),
        code: 'BAD_USER_INPUT',
        message: /placedAt/,
      },
      {
        name: 'storeId not an id',
        input: () => ({ storeId: 'abc', items: [line(stocked[0].id, 1)] }),
        code: 'BAD_USER_INPUT',
        message: /storeId.*abc/,
      },
      {
        name: 'productId not an id',
        input: () => ({ storeId: String(storeId), items: [line(stocked[0].id, 1), line('1.5', 1)] }),
        code: 'BAD_USER_INPUT',
        message: /items\[1\]\.productId.*1\.5/,
      },
      {
        name: 'customerId not an id',
        input: () => ({ storeId: String(storeId), customerId: '-3', items: [line(stocked[0].id, 1)] }),
        code: 'BAD_USER_INPUT',
        message: /customerId.*-3/,
      },
      {
        name: 'id beyond int4',
        input: () => ({ storeId: '99999999999', items: [line(stocked[0].id, 1)] }),
        code: 'BAD_USER_INPUT',
        message: /storeId/,
      },
    ];

    for (const { name, input, code, message } of cases) {
      it(name, async () => {
        const before = await snapshot();
        const response = await recordOrder(input());
        expect(response.body.data?.recordOrder ?? null).toBeNull();
        expectError(response, code, message);
        expect(await snapshot()).toEqual(before);
      });
    }

    it('a quantity that is not an Int is refused by the schema: BAD_USER_INPUT', async () => {
      const before = await snapshot();
      const response = await server.request(RecordOrderDocument, {
        variables: { input: { storeId: String(storeId), items: [{ productId: String(stocked[0].id), quantity: 1.5 }] } },
      });
      expect(errorOf(response).extensions?.code).toBe('BAD_USER_INPUT');
      expect(errorOf(response).message).toMatch(/quantity|Int/);
      expect(response.status).toBeLessThan(500);
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('roles', () => {
    it('a VIEWER key may not record orders or adjust stock: FORBIDDEN, nothing written', async () => {
      const before = await snapshot();
      const order = await recordOrder({ storeId: String(storeId), items: [line(stocked[0].id, 1)] }, viewerKey);
      expectError(order, 'FORBIDDEN', /recordOrder.*(INGEST|ADMIN).*VIEWER/);
      const adjust = await server.request(AdjustInventoryDocument, {
        variables: { storeId: String(storeId), productId: String(stocked[0].id), delta: 1 },
        key: viewerKey,
      });
      expectError(adjust, 'FORBIDDEN', /adjustInventory/);
      expect(await snapshot()).toEqual(before);
    });

    it('an INGEST key may record an order', async () => {
      const before = await snapshot();
      const order = dataOf(await recordOrder({ storeId: String(storeId), items: [line(stocked[4].id, 2)] }, ingestKey)).recordOrder;
      expect(cents(order.total)).toBe(2 * cents(stocked[4].price));
      expect((await snapshot()).orders).toBe(before.orders + 1);
    });

    it('a key scoped to one store may not record at another: FORBIDDEN', async () => {
      const scoped = await createKey('INGEST', [otherStoreId]);
      const before = await snapshot();
      expectError(
        await recordOrder({ storeId: String(storeId), items: [line(stocked[0].id, 1)] }, scoped),
        'FORBIDDEN',
        new RegExp(String(storeId)),
      );
      expect(await snapshot()).toEqual(before);
    });

    it('no key: UNAUTHENTICATED', async () => {
      const response = await server.request(RecordOrderDocument, {
        variables: { input: { storeId: String(storeId), items: [line(stocked[0].id, 1)] } },
        key: null,
      });
      expect(errorOf(response).extensions?.code).toBe('UNAUTHENTICATED');
    });
  });
});

describe('adjustInventory', () => {
  function adjust(store: number | string, product: number | string, delta: number, key?: string) {
    return server.request(AdjustInventoryDocument, {
      variables: { storeId: String(store), productId: String(product), delta },
      ...(key ? { key } : {}),
    });
  }

  async function levelRow(store: number, product: number) {
    return db
      .selectFrom('inventory_levels')
      .selectAll()
      .where('store_id', '=', store)
      .where('product_id', '=', product)
      .executeTakeFirstOrThrow();
  }

  it('adds and removes stock, answering the new level with status and days of cover', async () => {
    const product = stocked[5].id;
    const start = await levelRow(storeId, product);
    const up = dataOf(await adjust(storeId, product, 7)).adjustInventory;
    expect(up).toMatchObject({
      onHand: start.on_hand + 7,
      reorderPoint: start.reorder_point,
      store: { id: String(storeId) },
      product: { id: String(product) },
    });
    expect(await onHand(storeId, product)).toBe(start.on_hand + 7);
    const down = dataOf(await adjust(storeId, product, -3)).adjustInventory;
    expect(down.onHand).toBe(start.on_hand + 4);
    expect(await onHand(storeId, product)).toBe(start.on_hand + 4);
    const truth = (await inventoryTruth(db, storeId, utcDaysAgo(0))).find((row) => row.productId === product)!;
    expect({ onHand: down.onHand, reorderPoint: down.reorderPoint, status: down.status, daysOfCover: down.daysOfCover }).toEqual({
      onHand: truth.onHand,
      reorderPoint: truth.reorderPoint,
      status: truth.status,
      daysOfCover: truth.daysOfCover,
    });
  });

  it('recomputes the status (OK → LOW → OUT → OK), also in Store.inventory and Product.inventory at once', async () => {
    const product = stocked[1].id;
    const { on_hand, reorder_point } = await levelRow(storeId, product);
    expect(reorder_point).toBeGreaterThan(0);
    const readBoth = async () => {
      const store = dataOf(
        await server.request(TStoreInventoryDocument, { variables: { id: String(storeId), status: 'ALL', first: 100 } }),
      );
      const fromStore = store.store!.inventory.find((row) => row.product.id === String(product))!;
      const fromProduct = dataOf(
        await server.request(ProductDetailsDocument, {
          variables: { id: String(product), range: lastDays(7), storeId: String(storeId) },
        }),
      ).product!.inventory!;
      return { store: [fromStore.onHand, fromStore.status], product: [fromProduct.onHand, fromProduct.status] };
    };
    await readBoth(); // warm any cache

    let current = on_hand;
    const steps: Array<[number, string]> = [
      [reorder_point + 5, 'OK'],
      [reorder_point, 'LOW'],
      [1, 'LOW'],
      [0, 'OUT'],
      [reorder_point + 1, 'OK'],
    ];
    for (const [target, status] of steps) {
      if (target === current) continue;
      const level = dataOf(await adjust(storeId, product, target - current)).adjustInventory;
      current = target;
      expect({ onHand: level.onHand, status: level.status }, `to ${target}`).toEqual({ onHand: target, status });
      expect(statusOf(target, reorder_point)).toBe(status);
      expect(await readBoth(), `reads after adjusting to ${target}`).toEqual({ store: [target, status], product: [target, status] });
    }
  });

  it('refuses to go below zero: BAD_USER_INPUT naming the stock, level unchanged', async () => {
    const product = stocked[0].id;
    const before = await onHand(storeId, product);
    expectError(await adjust(storeId, product, -(before! + 1)), 'BAD_USER_INPUT', new RegExp(`below zero|${before}`));
    expect(await onHand(storeId, product)).toBe(before);
  });

  it('delta 0 and out-of-range deltas: BAD_USER_INPUT', async () => {
    const before = await snapshot();
    expectError(await adjust(storeId, stocked[0].id, 0), 'BAD_USER_INPUT', /delta/);
    expectError(await adjust(storeId, stocked[0].id, 2_000_000), 'BAD_USER_INPUT', /delta/);
    expect(await snapshot()).toEqual(before);
  });

  it('an unknown store/product pair: NOT_FOUND; a malformed id: BAD_USER_INPUT', async () => {
    const before = await snapshot();
    expectError(await adjust(storeId, 999_999, 1), 'NOT_FOUND', /999999/);
    expectError(await adjust(999_999, stocked[0].id, 1), 'NOT_FOUND', /999999/);
    expectError(await adjust('x1', stocked[0].id, 1), 'BAD_USER_INPUT', /storeId/);
    expectError(await adjust(storeId, '0', 1), 'BAD_USER_INPUT', /productId/);
    expect(await snapshot()).toEqual(before);
  });

  it('an INGEST key may adjust stock', async () => {
    const product = stocked[2].id;
    const before = (await onHand(storeId, product))!;
    expect(dataOf(await adjust(storeId, product, 2, ingestKey)).adjustInventory.onHand).toBe(before + 2);
  });

  it('20 parallel −1 on a level of 10: exactly 10 succeed, 10 are refused, 0 left', async () => {
    const product = stocked[4].id;
    const start = (await onHand(otherStoreId, product))!;
    if (start !== 10) dataOf(await adjust(otherStoreId, product, 10 - start));
    expect(await onHand(otherStoreId, product)).toBe(10);

    const responses = await Promise.all(Array.from({ length: 20 }, () => adjust(otherStoreId, product, -1)));
    const succeeded = responses.filter((r) => !r.body.errors && r.body.data?.adjustInventory);
    const refused = responses.filter((r) => r.body.errors?.[0]?.extensions?.code === 'BAD_USER_INPUT');
    expect({ succeeded: succeeded.length, refused: refused.length }).toEqual({ succeeded: 10, refused: 10 });
    // Each caller is told the level its own write produced: together, every level from 9 down to 0 once.
    const levels = succeeded.map((r) => r.body.data!.adjustInventory.onHand).sort((a, b) => a - b);
    expect(levels).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const r of succeeded) {
      const level = r.body.data!.adjustInventory;
      expect(level.status).toBe(statusOf(level.onHand, level.reorderPoint));
    }
    for (const r of refused) expect(r.body.errors![0].message).toMatch(/below zero/);
    expect(await onHand(otherStoreId, product)).toBe(0);
    const level = dataOf(
      await server.request(ProductDetailsDocument, {
        variables: { id: String(product), range: lastDays(7), storeId: String(otherStoreId) },
      }),
    ).product!.inventory!;
    expect({ onHand: level.onHand, status: level.status }).toEqual({ onHand: 0, status: 'OUT' });
  });
});
