import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_KEY } from './helpers/constants.js';
import { lastDays } from './helpers/dates.js';
import { dataOf, type GraphqlResponse } from './helpers/graphql-client.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/**
 * API keys end to end over HTTP: authentication, hashing at rest, roles, store scope on
 * every path that reaches store data, and revocation. Expected numbers come from plain
 * SQL over this file's own database.
 */

let server: TestServer;
let pool: pg.Pool;
const range = lastDays(60);

/** Customers (home store 1 / home store 2) and the orders this file adds across stores. */
let homeOne: number;
let homeTwo: number;
let productIds: number[];
let scoped: string; // VIEWER limited to store 1

const CREATE_KEY = `mutation($name: String!, $role: Role!, $storeIds: [ID!]) { createApiKey(name: $name, role: $role, storeIds: $storeIds) { id key role } }`;
const REVOKE_KEY = `mutation($id: ID!) { revokeApiKey(id: $id) }`;
const RECORD_ORDER = `mutation($input: OrderInput!) { recordOrder(input: $input) { id total store { id } customer { id } } }`;
const ADJUST = `mutation($storeId: ID!, $productId: ID!, $delta: Int!) { adjustInventory(storeId: $storeId, productId: $productId, delta: $delta) { onHand store { id } } }`;

function codesOf(response: GraphqlResponse<unknown>): string[] {
  return (response.body.errors ?? []).map((e) => String(e.extensions?.code));
}

/** The response failed with exactly this code (and no other). */
function expectCode(response: GraphqlResponse<unknown>, code: string): void {
  const codes = codesOf(response);
  expect(codes.length, JSON.stringify(response.body)).toBeGreaterThan(0);
  expect(new Set(codes), JSON.stringify(response.body)).toEqual(new Set([code]));
}

async function sql<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  return (await pool.query<T>(text, values)).rows;
}

async function createKey(
  role: 'VIEWER' | 'INGEST' | 'ADMIN',
  storeIds?: string[],
  name = `${role} test key`,
): Promise<{ id: string; key: string }> {
  const data = dataOf(await server.request(CREATE_KEY, { variables: { name, role, storeIds } }));
  expect(data.createApiKey.role).toBe(role);
  return { id: data.createApiKey.id, key: data.createApiKey.key };
}

// ---------- plain SQL truths over orders / order_items ----------

const IN_RANGE = `o.status = 'COMPLETED' AND (o.placed_at AT TIME ZONE 'UTC')::date BETWEEN $1::date AND $2::date AND ($3::int[] IS NULL OR o.store_id = ANY($3::int[]))`;

async function truthRevenue(storeIds: number[] | null): Promise<{ total: number; orders: number; items: number }> {
  const [row] = await sql<{ total: number; orders: number; items: number }>(
    `SELECT coalesce(sum(o.total), 0) AS total, count(*)::int AS orders, coalesce(sum(o.item_count), 0)::int AS items FROM orders o WHERE ${IN_RANGE}`,
    [range.from, range.to, storeIds],
  );
  return row;
}

async function truthCategories(storeIds: number[] | null): Promise<Map<string, { revenue: number; unitsSold: number; share: number }>> {
  const rows = await sql<{ id: number; revenue: number; units: number; share: number }>(
    `WITH sales AS (
       SELECT p.category_id, oi.quantity, oi.quantity * oi.unit_price AS amount
         FROM order_items oi JOIN orders o ON o.id = oi.order_id JOIN products p ON p.id = oi.product_id
        WHERE ${IN_RANGE})
     SELECT c.id,
            coalesce((SELECT sum(amount) FROM sales WHERE category_id = c.id), 0) AS revenue,
            coalesce((SELECT sum(quantity) FROM sales WHERE category_id = c.id), 0)::int AS units,
            coalesce(round((SELECT sum(amount) FROM sales WHERE category_id = c.id) / nullif((SELECT sum(amount) FROM sales), 0), 4), 0) AS share
       FROM categories c`,
    [range.from, range.to, storeIds],
  );
  return new Map(rows.map((r) => [String(r.id), { revenue: r.revenue, unitsSold: r.units, share: r.share }]));
}

async function truthProducts(storeIds: number[] | null): Promise<Map<string, { unitsSold: number; revenue: number; margin: number }>> {
  const rows = await sql<{ id: number; units: number; revenue: number; margin: number }>(
    `SELECT oi.product_id AS id, sum(oi.quantity)::int AS units, sum(oi.quantity * oi.unit_price) AS revenue,
            sum(oi.quantity * (oi.unit_price - oi.unit_cost)) AS margin
       FROM order_items oi JOIN orders o ON o.id = oi.order_id WHERE ${IN_RANGE} GROUP BY 1`,
    [range.from, range.to, storeIds],
  );
  return new Map(rows.map((r) => [String(r.id), { unitsSold: r.units, revenue: r.revenue, margin: r.margin }]));
}

async function truthLifetimeValue(customerId: number, storeIds: number[] | null): Promise<number> {
  const [row] = await sql<{ spend: number }>(
    `SELECT coalesce(sum(total), 0) AS spend FROM orders WHERE status = 'COMPLETED' AND customer_id = $1 AND ($2::int[] IS NULL OR store_id = ANY($2::int[]))`,
    [customerId, storeIds],
  );
  return row.spend;
}

async function ordersOf(customerId: number, storeIds: number[] | null): Promise<string[]> {
  const rows = await sql<{ id: number }>(
    `SELECT id FROM orders WHERE customer_id = $1 AND ($2::int[] IS NULL OR store_id = ANY($2::int[])) ORDER BY id DESC`,
    [customerId, storeIds],
  );
  return rows.map((r) => String(r.id));
}

beforeAll(async () => {
  // Rate limits out of the way: this file tests who may do what, not how often.
  server = await startTestServer({ env: { RATE_LIMITS: 'VIEWER=100000,INGEST=100000' } });
  pool = server.app.services.database.pool;
  const stores = await sql<{ id: number }>('SELECT id FROM stores ORDER BY id');
  expect(stores.length, 'the seed must have at least 2 stores').toBeGreaterThanOrEqual(2);
  // Customers with completed orders at their home store, so every restriction below changes a number.
  const withOrders = (store: number) =>
    sql<{ id: number }>(
      `SELECT c.id FROM customers c WHERE c.home_store_id = $1
          AND EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.store_id = $1 AND o.status = 'COMPLETED')
        ORDER BY c.id LIMIT 1`,
      [store],
    );
  const [one] = await withOrders(1);
  const [two] = await withOrders(2);
  expect(one && two, 'the seed must have customers with orders at stores 1 and 2').toBeTruthy();
  homeOne = one.id;
  homeTwo = two.id;
  productIds = (await sql<{ id: number }>('SELECT id FROM products ORDER BY id LIMIT 3')).map((r) => r.id);

  // Cross-store history the seed does not have: a store-1 customer buys at store 2,
  // and a store-2 customer buys at store 1 (so a store-1 key reaches them through an order).
  for (const [storeId, customerId] of [
    [2, homeOne],
    [1, homeTwo],
  ]) {
    dataOf(
      await server.request(RECORD_ORDER, {
        variables: {
          input: { storeId: String(storeId), customerId: String(customerId), items: [{ productId: String(productIds[0]), quantity: 2 }] },
        },
      }),
    );
  }
  scoped = (await createKey('VIEWER', ['1'], 'store one viewer')).key;
});
afterAll(() => server?.stop());

describe('authentication', () => {
  it('no key is refused with HTTP 401 UNAUTHENTICATED and no data, like an unknown key', async () => {
    const response = await server.request('{ stores { totalCount } }', { key: null });
    expect(response.status).toBe(401);
    expectCode(response, 'UNAUTHENTICATED');
    expect(response.body.data ?? null).toBeNull();
    const mutation = await server.request(CREATE_KEY, { key: null, variables: { name: 'x', role: 'ADMIN' } });
    expect(mutation.status).toBe(401);
    expectCode(mutation, 'UNAUTHENTICATED');
  });

  it('an unknown key is refused with HTTP 401 UNAUTHENTICATED', async () => {
    const response = await server.request('{ stores { totalCount } }', { key: 'gp_this_key_was_never_issued_000000' });
    expect(response.status).toBe(401);
    expectCode(response, 'UNAUTHENTICATED');
    expect(response.body.data ?? null).toBeNull();
    // Not a Bearer token at all: still not a key.
    const raw = await server.request('{ stores { totalCount } }', { key: null, headers: { authorization: 'Basic Zm9vOmJhcg==' } });
    expect(raw.status).toBe(401);
    expectCode(raw, 'UNAUTHENTICATED');
  });

  it('the scheme is case-insensitive: "bearer <key>" works', async () => {
    const response = await server.request('{ stores { totalCount } }', {
      key: null,
      headers: { authorization: `bearer ${TEST_ADMIN_KEY}` },
    });
    expect(dataOf(response).stores.totalCount).toBeGreaterThan(0);
  });

  it('keys are stored hashed: no column of api_keys holds a key', async () => {
    const created = await createKey('VIEWER', undefined, 'hash check');
    const rows = await sql<{ id: number; key_hash: string; row: string }>('SELECT id, key_hash, a::text AS row FROM api_keys a');
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const mine = rows.find((r) => String(r.id) === created.id);
    expect(mine).toBeDefined();
    expect(mine!.key_hash).not.toBe(created.key);
    expect(mine!.key_hash.length).toBeGreaterThanOrEqual(32);
    for (const key of [created.key, TEST_ADMIN_KEY, scoped]) {
      // Neither the key nor any long piece of it appears anywhere in the table.
      const probe = key.slice(-20);
      for (const row of rows) expect(row.row).not.toContain(probe);
    }
    // The key works although only its hash is kept.
    expect(dataOf(await server.request('{ stores { totalCount } }', { key: created.key })).stores.totalCount).toBeGreaterThan(0);
  });
});

describe('roles', () => {
  const orderInput = () => ({ storeId: '1', items: [{ productId: String(productIds[1]), quantity: 1 }] });

  it('VIEWER reads, but may not record orders, adjust inventory or create keys', async () => {
    const viewer = (await createKey('VIEWER')).key;
    expect(dataOf(await server.request('{ stores { totalCount } }', { key: viewer })).stores.totalCount).toBeGreaterThan(0);
    const [{ n: before }] = await sql<{ n: number }>('SELECT count(*)::int AS n FROM orders');
    const [{ on_hand: stockBefore }] = await sql<{ on_hand: number }>(
      'SELECT on_hand FROM inventory_levels WHERE store_id = 1 AND product_id = $1',
      [productIds[1]],
    );

    expectCode(await server.request(RECORD_ORDER, { key: viewer, variables: { input: orderInput() } }), 'FORBIDDEN');
    expectCode(
      await server.request(ADJUST, { key: viewer, variables: { storeId: '1', productId: String(productIds[1]), delta: 5 } }),
      'FORBIDDEN',
    );
    expectCode(await server.request(CREATE_KEY, { key: viewer, variables: { name: 'escalate', role: 'ADMIN' } }), 'FORBIDDEN');
    expectCode(await server.request(REVOKE_KEY, { key: viewer, variables: { id: '1' } }), 'FORBIDDEN');

    // Nothing was written.
    expect((await sql<{ n: number }>('SELECT count(*)::int AS n FROM orders'))[0].n).toBe(before);
    expect(
      (await sql<{ on_hand: number }>('SELECT on_hand FROM inventory_levels WHERE store_id = 1 AND product_id = $1', [productIds[1]]))[0]
        .on_hand,
    ).toBe(stockBefore);
    expect((await sql<{ n: number }>("SELECT count(*)::int AS n FROM api_keys WHERE name = 'escalate'"))[0].n).toBe(0);
  });

  it("a refusal names the field, the roles it needs and the key's role", async () => {
    const viewer = (await createKey('VIEWER')).key;
    const refusedViewer = await server.request('{ jobs { id } }', { key: viewer });
    expect(refusedViewer.body.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([
      ['FORBIDDEN', 'Query.jobs needs role ADMIN; this key has VIEWER'],
    ]);
    const ingest = (await createKey('INGEST')).key;
    const refusedIngest = await server.request('{ categories { id } }', { key: ingest });
    expect(refusedIngest.body.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([
      ['FORBIDDEN', 'Query.categories needs role VIEWER or ADMIN; this key has INGEST'],
    ]);
  });

  it('INGEST may record orders but not read', async () => {
    const ingest = (await createKey('INGEST')).key;
    for (const query of ['{ stores { totalCount } }', '{ categories { id } }', `{ orders(first: 1) { totalCount } }`]) {
      expectCode(await server.request(query, { key: ingest }), 'FORBIDDEN');
    }
    expectCode(
      await server.request(`query($r: DateRange!) { revenueMetrics(range: $r) { total } }`, { key: ingest, variables: { r: range } }),
      'FORBIDDEN',
    );
    expectCode(await server.request(CREATE_KEY, { key: ingest, variables: { name: 'escalate', role: 'ADMIN' } }), 'FORBIDDEN');
    const recorded = dataOf(await server.request(RECORD_ORDER, { key: ingest, variables: { input: orderInput() } }));
    expect(recorded.recordOrder.store.id).toBe('1');
    const [row] = await sql<{ store_id: number }>('SELECT store_id FROM orders WHERE id = $1', [recorded.recordOrder.id]);
    expect(row.store_id).toBe(1);
  });

  it('ADMIN may do everything', async () => {
    expect(dataOf(await server.request('{ stores { totalCount } }')).stores.totalCount).toBeGreaterThan(0);
    expect(dataOf(await server.request(RECORD_ORDER, { variables: { input: orderInput() } })).recordOrder.id).toBeTruthy();
    const adjusted = dataOf(await server.request(ADJUST, { variables: { storeId: '1', productId: String(productIds[1]), delta: 3 } }));
    expect(adjusted.adjustInventory.store.id).toBe('1');
    const created = await createKey('ADMIN');
    expect(dataOf(await server.request('{ stores { totalCount } }', { key: created.key })).stores.totalCount).toBeGreaterThan(0);
  });

  it('a store-scoped writer may not write to another store', async () => {
    const ingestOne = (await createKey('INGEST', ['1'])).key;
    expectCode(
      await server.request(RECORD_ORDER, {
        key: ingestOne,
        variables: { input: { storeId: '2', items: [{ productId: String(productIds[0]), quantity: 1 }] } },
      }),
      'FORBIDDEN',
    );
    const adminOne = (await createKey('ADMIN', ['1'])).key;
    expectCode(
      await server.request(ADJUST, { key: adminOne, variables: { storeId: '2', productId: String(productIds[0]), delta: 1 } }),
      'FORBIDDEN',
    );
    expect(
      dataOf(await server.request(ADJUST, { key: adminOne, variables: { storeId: '1', productId: String(productIds[0]), delta: 1 } }))
        .adjustInventory.store.id,
    ).toBe('1');
  });
});

describe('a key limited to store 1 sees only store 1', () => {
  it('stores list and store(id)', async () => {
    const list = dataOf(await server.request('{ stores(first: 100) { totalCount edges { node { id } } } }', { key: scoped }));
    expect(list.stores.totalCount).toBe(1);
    expect(list.stores.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(['1']);
    expectCode(await server.request('{ store(id: 2) { id name } }', { key: scoped }), 'FORBIDDEN');
    expect(dataOf(await server.request('{ store(id: 1) { id } }', { key: scoped })).store.id).toBe('1');
  });

  it('orders list holds only store-1 orders; orders(storeId: 2) is FORBIDDEN', async () => {
    const data = dataOf(await server.request('{ orders(first: 100) { totalCount edges { node { id store { id } } } } }', { key: scoped }));
    const [{ n }] = await sql<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE store_id = 1');
    expect(data.orders.totalCount).toBe(n);
    const ids = data.orders.edges.map((e: { node: { id: string; store: { id: string } } }) => {
      expect(e.node.store.id).toBe('1');
      return e.node.id;
    });
    const newest = await sql<{ id: number }>('SELECT id FROM orders WHERE store_id = 1 ORDER BY id DESC LIMIT 100');
    expect(ids).toEqual(newest.map((r) => String(r.id)));
    expectCode(await server.request('{ orders(storeId: 2) { totalCount } }', { key: scoped }), 'FORBIDDEN');
    const ranged = dataOf(
      await server.request(`query($r: DateRange) { orders(range: $r, first: 0) { totalCount } }`, { key: scoped, variables: { r: range } }),
    );
    const [{ n: inRange }] = await sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM orders WHERE store_id = 1 AND (placed_at AT TIME ZONE 'UTC')::date BETWEEN $1::date AND $2::date`,
      [range.from, range.to],
    );
    expect(ranged.orders.totalCount).toBe(inRange);
  });

  it('revenueMetrics defaults to the key scope and refuses other stores', async () => {
    const query = `query($r: DateRange!, $s: [ID!]) { revenueMetrics(range: $r, storeIds: $s) { total orders items } }`;
    const mine = dataOf(await server.request(query, { key: scoped, variables: { r: range } })).revenueMetrics;
    const truth = await truthRevenue([1]);
    expect(mine.total).toBeCloseTo(truth.total, 2);
    expect(mine.orders).toBe(truth.orders);
    expect(mine.items).toBe(truth.items);
    const all = await truthRevenue(null);
    expect(all.total).toBeGreaterThan(truth.total); // the restriction matters
    expect(dataOf(await server.request(query, { variables: { r: range } })).revenueMetrics.total).toBeCloseTo(all.total, 2);
    expect(dataOf(await server.request(query, { key: scoped, variables: { r: range, s: ['1'] } })).revenueMetrics.total).toBeCloseTo(
      truth.total,
      2,
    );
    expectCode(await server.request(query, { key: scoped, variables: { r: range, s: ['2'] } }), 'FORBIDDEN');
    expectCode(await server.request(query, { key: scoped, variables: { r: range, s: ['1', '2'] } }), 'FORBIDDEN');
  });

  it('categoryLeaderboard and Category.performance count store 1 only', async () => {
    const truth = await truthCategories([1]);
    const board = dataOf(
      await server.request(
        `query($r: DateRange!) { categoryLeaderboard(range: $r, limit: 100) { revenue unitsSold share category { id } } }`,
        {
          key: scoped,
          variables: { r: range },
        },
      ),
    ).categoryLeaderboard as Array<{ revenue: number; unitsSold: number; share: number; category: { id: string } }>;
    expect(board.length).toBe(truth.size);
    for (const row of board) {
      const expected = truth.get(row.category.id)!;
      expect(row.revenue, `category ${row.category.id}`).toBeCloseTo(expected.revenue, 2);
      expect(row.unitsSold).toBe(expected.unitsSold);
      expect(row.share).toBeCloseTo(expected.share, 4);
    }
    const categories = dataOf(
      await server.request(`query($r: DateRange!) { categories { id performance(range: $r) { revenue unitsSold } } }`, {
        key: scoped,
        variables: { r: range },
      }),
    ).categories as Array<{ id: string; performance: { revenue: number; unitsSold: number } }>;
    expect(categories.length).toBe(truth.size);
    for (const category of categories) {
      expect(category.performance.revenue, `category ${category.id}`).toBeCloseTo(truth.get(category.id)!.revenue, 2);
      expect(category.performance.unitsSold).toBe(truth.get(category.id)!.unitsSold);
    }
    // The admin sees every store: different numbers.
    const everywhere = await truthCategories(null);
    const adminBoard = dataOf(
      await server.request(`query($r: DateRange!) { categories { id performance(range: $r) { unitsSold } } }`, { variables: { r: range } }),
    ).categories as Array<{ id: string; performance: { unitsSold: number } }>;
    for (const category of adminBoard) expect(category.performance.unitsSold).toBe(everywhere.get(category.id)!.unitsSold);
  });

  it('Product.performance without storeId counts store 1 only; other stores are FORBIDDEN, inventory too', async () => {
    const truth = await truthProducts([1]);
    const data = dataOf(
      await server.request(
        `query($r: DateRange!) { products(first: 100) { edges { node { id performance(range: $r) { unitsSold revenue margin } } } } }`,
        {
          key: scoped,
          variables: { r: range },
        },
      ),
    );
    const nodes = data.products.edges.map((e: { node: unknown }) => e.node) as Array<{
      id: string;
      performance: { unitsSold: number; revenue: number; margin: number };
    }>;
    expect(nodes.length).toBeGreaterThan(0);
    for (const node of nodes) {
      const expected = truth.get(node.id) ?? { unitsSold: 0, revenue: 0, margin: 0 };
      expect(node.performance.unitsSold, `product ${node.id}`).toBe(expected.unitsSold);
      expect(node.performance.revenue, `product ${node.id}`).toBeCloseTo(expected.revenue, 2);
      expect(node.performance.margin, `product ${node.id}`).toBeCloseTo(expected.margin, 2);
    }
    const id = String(productIds[0]);
    expectCode(
      await server.request(`query($r: DateRange!) { product(id: ${id}) { performance(range: $r, storeId: 2) { unitsSold } } }`, {
        key: scoped,
        variables: { r: range },
      }),
      'FORBIDDEN',
    );
    expectCode(await server.request(`{ product(id: ${id}) { inventory(storeId: 2) { onHand } } }`, { key: scoped }), 'FORBIDDEN');
    const own = dataOf(await server.request(`{ product(id: ${id}) { inventory(storeId: 1) { onHand store { id } } } }`, { key: scoped }));
    expect(own.product.inventory?.store.id ?? '1').toBe('1');
  });

  it('customer(id) of a customer whose home store is 2 is null; of store 1 it is there', async () => {
    const query = `query($id: ID!) { customer(id: $id) { id homeStore { id } } }`;
    expect(dataOf(await server.request(query, { key: scoped, variables: { id: String(homeTwo) } })).customer).toBeNull();
    expect(dataOf(await server.request(query, { key: scoped, variables: { id: String(homeOne) } })).customer).toEqual({
      id: String(homeOne),
      homeStore: { id: '1' },
    });
    // The admin sees both.
    expect(dataOf(await server.request(query, { variables: { id: String(homeTwo) } })).customer).toEqual({
      id: String(homeTwo),
      homeStore: { id: '2' },
    });
  });

  it('Customer.orders and lifetimeValue count only store-1 orders for the scoped key, every store for the admin', async () => {
    const query = `query($id: ID!) { customer(id: $id) { lifetimeValue orders(first: 100) { totalCount edges { node { id store { id } } } } } }`;
    const mine = dataOf(await server.request(query, { key: scoped, variables: { id: String(homeOne) } })).customer;
    const expectedMine = await ordersOf(homeOne, [1]);
    expect(mine.orders.totalCount).toBe(expectedMine.length);
    expect(mine.orders.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(expectedMine.slice(0, 100));
    for (const edge of mine.orders.edges as Array<{ node: { store: { id: string } } }>) expect(edge.node.store.id).toBe('1');
    expect(mine.lifetimeValue).toBeCloseTo(await truthLifetimeValue(homeOne, [1]), 2);

    // This customer also bought at store 2 (beforeAll): the admin sees that order too.
    const everything = await ordersOf(homeOne, null);
    expect(everything.length).toBe(expectedMine.length + 1);
    const admin = dataOf(await server.request(query, { variables: { id: String(homeOne) } })).customer;
    expect(admin.orders.totalCount).toBe(everything.length);
    expect(admin.orders.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(everything.slice(0, 100));
    expect(admin.lifetimeValue).toBeCloseTo(await truthLifetimeValue(homeOne, null), 2);
    expect(admin.lifetimeValue).toBeGreaterThan(mine.lifetimeValue);
  });

  it('a store-2 customer reached through a store-1 order: homeStore null, lifetimeValue and orders of store 1 only', async () => {
    const data = dataOf(
      await server.request(
        `{ orders(storeId: 1, first: 50) { edges { node { id customer { id homeStore { id } lifetimeValue orders { totalCount edges { node { store { id } } } } } } } } }`,
        {
          key: scoped,
        },
      ),
    );
    const edge = (
      data.orders.edges as Array<{
        node: {
          customer: {
            id: string;
            homeStore: unknown;
            lifetimeValue: number;
            orders: { totalCount: number; edges: Array<{ node: { store: { id: string } } }> };
          } | null;
        };
      }>
    ).find((e) => e.node.customer?.id === String(homeTwo));
    expect(edge, 'the order recorded for the store-2 customer at store 1').toBeDefined();
    const customer = edge!.node.customer!;
    expect(customer.homeStore).toBeNull();
    expect(customer.lifetimeValue).toBeCloseTo(await truthLifetimeValue(homeTwo, [1]), 2);
    expect(customer.lifetimeValue).toBeLessThan(await truthLifetimeValue(homeTwo, null));
    expect(customer.orders.totalCount).toBe((await ordersOf(homeTwo, [1])).length);
    for (const order of customer.orders.edges) expect(order.node.store.id).toBe('1');
  });
});

describe('revokeApiKey', () => {
  it('takes effect on the very next request', async () => {
    const { id, key } = await createKey('VIEWER');
    // Used (and so remembered by the key lookup) before it is revoked.
    for (let i = 0; i < 2; i += 1)
      expect(dataOf(await server.request('{ stores { totalCount } }', { key })).stores.totalCount).toBeGreaterThan(0);
    expect(dataOf(await server.request(REVOKE_KEY, { variables: { id } })).revokeApiKey).toBe(true);
    const after = await server.request('{ stores { totalCount } }', { key });
    expect(after.status).toBe(401);
    expectCode(after, 'UNAUTHENTICATED');
    const [row] = await sql<{ revoked_at: Date | null }>('SELECT revoked_at FROM api_keys WHERE id = $1', [Number(id)]);
    expect(row.revoked_at).not.toBeNull();
    // Revoking again: the key exists but is no longer live.
    expect(dataOf(await server.request(REVOKE_KEY, { variables: { id } })).revokeApiKey).toBe(false);
    // Other keys are unaffected.
    expect(dataOf(await server.request('{ stores { totalCount } }', { key: scoped })).stores.totalCount).toBe(1);
  });

  it('an unknown id is NOT_FOUND; a malformed id is BAD_USER_INPUT', async () => {
    expectCode(await server.request(REVOKE_KEY, { variables: { id: '987654' } }), 'NOT_FOUND');
    expectCode(await server.request(REVOKE_KEY, { variables: { id: 'abc' } }), 'BAD_USER_INPUT');
  });
});

describe('createApiKey validation', () => {
  it('refuses an empty or blank name', async () => {
    for (const name of ['', '   ']) {
      const response = await server.request(CREATE_KEY, { variables: { name, role: 'VIEWER' } });
      expectCode(response, 'BAD_USER_INPUT');
      expect(response.body.errors?.[0].message).toMatch(/name/);
    }
  });

  it('refuses unknown and malformed store ids, and an empty list', async () => {
    const unknown = await server.request(CREATE_KEY, { variables: { name: 'ghost', role: 'VIEWER', storeIds: ['1', '99999'] } });
    expectCode(unknown, 'NOT_FOUND');
    expect(unknown.body.errors?.[0].message).toContain('99999');
    expectCode(await server.request(CREATE_KEY, { variables: { name: 'bad', role: 'VIEWER', storeIds: ['x'] } }), 'BAD_USER_INPUT');
    expectCode(await server.request(CREATE_KEY, { variables: { name: 'none', role: 'VIEWER', storeIds: [] } }), 'BAD_USER_INPUT');
    expect((await sql<{ n: number }>("SELECT count(*)::int AS n FROM api_keys WHERE name IN ('ghost', 'bad', 'none')"))[0].n).toBe(0);
  });

  it('each created key is new and carries its role', async () => {
    const a = await createKey('INGEST');
    const b = await createKey('INGEST');
    expect(a.key).not.toBe(b.key);
    expect(a.id).not.toBe(b.id);
    expect(a.key.length).toBeGreaterThanOrEqual(32);
  });
});
