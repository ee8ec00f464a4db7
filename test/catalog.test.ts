import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/database.js';
import {
  TCategoryProductsPageDocument,
  TCustomerOrdersPageDocument,
  TOrdersPageDocument,
  TProductsPageDocument,
  TStoresPageDocument,
} from './generated/graphql.js';
import { dataOf, type GraphqlResponse } from './helpers/graphql-client.js';
import { lastDays } from './helpers/dates.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/**
 * The connections (stores, products, orders, Category.products, Customer.orders): walking
 * them page by page with `after` yields every row exactly once, in the documented order,
 * equal to the ids SQL lists; totalCount and pageInfo are right; bad arguments are refused.
 */

let server: TestServer;
let db: Db;

interface Connection {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: Array<{ cursor: string; node: { id: string } }>;
}

/**
 * Follows endCursor until hasNextPage is false, checking each page on the way: at most
 * `first` edges, full pages while there is more, endCursor = the last edge's cursor, the
 * same totalCount on every page. Returns the ids in order.
 */
async function walk(
  first: number,
  page: (after: string | null) => Promise<Connection>,
): Promise<{ ids: number[]; pages: number; totalCount: number }> {
  const ids: number[] = [];
  let after: string | null = null;
  let pages = 0;
  let totalCount: number | null = null;
  for (;;) {
    const connection = await page(after);
    pages += 1;
    totalCount ??= connection.totalCount;
    expect(connection.totalCount, `totalCount on page ${pages}`).toBe(totalCount);
    expect(connection.edges.length).toBeLessThanOrEqual(first);
    expect(connection.pageInfo.endCursor).toBe(connection.edges.at(-1)?.cursor ?? null);
    ids.push(...connection.edges.map((edge) => Number(edge.node.id)));
    if (!connection.pageInfo.hasNextPage) break;
    expect(connection.edges, `a page before the last is full (page ${pages})`).toHaveLength(first);
    after = connection.pageInfo.endCursor;
    if (pages > 500) throw new Error('pagination does not end');
  }
  return { ids, pages, totalCount: totalCount ?? 0 };
}

/** Walks and compares with the SQL ids (in order): each row exactly once, pages as expected. */
async function expectWalk(first: number, expected: number[], page: (after: string | null) => Promise<Connection>): Promise<void> {
  const result = await walk(first, page);
  expect(result.ids).toEqual(expected);
  expect(new Set(result.ids).size).toBe(result.ids.length);
  expect(result.totalCount).toBe(expected.length);
  expect(result.pages).toBe(Math.max(1, Math.ceil(expected.length / first)));
}

function expectBadInput(response: GraphqlResponse<unknown>, message: RegExp): void {
  const error = response.body.errors?.[0];
  expect(error, JSON.stringify(response.body)).toBeDefined();
  expect({ code: error!.extensions?.code, message: error!.message }).toEqual({
    code: 'BAD_USER_INPUT',
    message: expect.stringMatching(message),
  });
}

const cursorOf = (text: string) => Buffer.from(text).toString('base64url');

async function ids(query: ReturnType<typeof sql<{ id: number }>>): Promise<number[]> {
  return (await query.execute(db)).rows.map((row) => Number(row.id));
}

/** The n of a `SELECT count(*) AS n …` (count is a bigint: pg gives it as a string). */
async function countOf(query: ReturnType<typeof sql<{ n: string }>>): Promise<number> {
  return Number((await query.execute(db)).rows[0].n);
}

const storesPage = (first: number) => async (after: string | null) =>
  dataOf(await server.request(TStoresPageDocument, { variables: { first, after } })).stores;
const productsPage =
  (first: number, filter: { categoryId?: string; search?: string } = {}) =>
  async (after: string | null) =>
    dataOf(await server.request(TProductsPageDocument, { variables: { first, after, ...filter } })).products;
const ordersPage =
  (first: number, filter: { storeId?: string; range?: { from: string; to: string } } = {}) =>
  async (after: string | null) =>
    dataOf(await server.request(TOrdersPageDocument, { variables: { first, after, ...filter } })).orders;

beforeAll(async () => {
  server = await startTestServer();
  db = server.app.services.database.db;
  // 25 more stores: 28 in all, so pages of 7 end exactly on a full page.
  await db
    .insertInto('stores')
    .values(Array.from({ length: 25 }, (_, i) => ({ name: `Catalog ${i}`, city: 'Porto', opened_at: '2021-03-01' })))
    .execute();
});
afterAll(() => server?.stop());

describe('stores', () => {
  it('pages walk every store once, by id', async () => {
    const expected = await ids(sql<{ id: number }>`SELECT id FROM stores ORDER BY id`);
    expect(expected).toHaveLength(28);
    for (const first of [7, 5, 100]) await expectWalk(first, expected, storesPage(first)); // 7 ends on a full page
    const page = await storesPage(7)(null);
    expect(page.pageInfo.hasNextPage).toBe(true);
  });

  it('nodes carry their row', async () => {
    const page = await storesPage(3)(null);
    const rows = await db.selectFrom('stores').selectAll().orderBy('id').limit(3).execute();
    expect(page.edges.map((e) => e.node)).toEqual(
      rows.map((r) => ({ id: String(r.id), name: r.name, city: r.city, openedAt: r.opened_at })),
    );
  });
});

describe('products', () => {
  it('pages walk the whole catalogue once, by id', async () => {
    const expected = await ids(sql<{ id: number }>`SELECT id FROM products ORDER BY id`);
    expect(expected.length).toBeGreaterThan(20);
    for (const first of [9, 20, 100]) await expectWalk(first, expected, productsPage(first));
  });

  it('categoryId filters, and pages within the category', async () => {
    const categories = await db.selectFrom('categories').select('id').orderBy('id').execute();
    for (const { id } of categories) {
      const expected = await ids(sql<{ id: number }>`SELECT id FROM products WHERE category_id = ${id} ORDER BY id`);
      await expectWalk(4, expected, productsPage(4, { categoryId: String(id) }));
    }
    const none = await productsPage(10, { categoryId: '999999' })(null);
    expect(none).toEqual({ totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] });
  });

  it('search matches name or SKU, case-insensitive, with % and _ taken literally', async () => {
    const sample = await db.selectFrom('products').select(['id', 'sku', 'name']).orderBy('id').limit(1).executeTakeFirstOrThrow();
    const word = sample.name.split(' ')[0];
    const skuPrefix = sample.sku.split('-')[0];
    const searches = [
      word.toUpperCase(),
      word.toLowerCase(),
      skuPrefix.toLowerCase(),
      sample.sku,
      `  ${word}  `,
      '%',
      '_',
      'no such product at all',
    ];
    for (const search of searches) {
      const needle = search.trim().toLowerCase();
      const expected = await ids(sql<{ id: number }>`
        SELECT id FROM products WHERE strpos(lower(name), ${needle}) > 0 OR strpos(lower(sku), ${needle}) > 0 ORDER BY id`);
      await expectWalk(4, expected, productsPage(4, { search }));
    }
    // search and categoryId together
    const category = await db.selectFrom('products').select('category_id').where('id', '=', sample.id).executeTakeFirstOrThrow();
    const both = await ids(sql<{ id: number }>`
      SELECT id FROM products WHERE category_id = ${category.category_id}
         AND (strpos(lower(name), ${skuPrefix.toLowerCase()}) > 0 OR strpos(lower(sku), ${skuPrefix.toLowerCase()}) > 0) ORDER BY id`);
    expect(both.length).toBeGreaterThan(0);
    await expectWalk(2, both, productsPage(2, { search: skuPrefix, categoryId: String(category.category_id) }));
  });

  it('a search over 100 characters: BAD_USER_INPUT', async () => {
    expectBadInput(await server.request(TProductsPageDocument, { variables: { first: 5, search: 'x'.repeat(101) } }), /search/);
  });
});

describe('orders', () => {
  it('pages walk a store’s orders in a range once, newest (highest id) first', async () => {
    const store = await db.selectFrom('stores').select('id').orderBy('id').limit(1).executeTakeFirstOrThrow();
    const range = lastDays(10);
    const expected = await ids(sql<{ id: number }>`
      SELECT id FROM orders WHERE store_id = ${store.id}
         AND placed_at >= ${range.from}::date::timestamp AT TIME ZONE 'UTC' AND placed_at < (${range.to}::date + 1)::timestamp AT TIME ZONE 'UTC'
       ORDER BY id DESC`);
    expect(expected.length).toBeGreaterThan(30);
    for (const first of [17, 100]) await expectWalk(first, expected, ordersPage(first, { storeId: String(store.id), range }));
  });

  it('pages walk every order of a range across stores once', async () => {
    const range = lastDays(20);
    const expected = await ids(sql<{ id: number }>`
      SELECT id FROM orders
       WHERE placed_at >= ${range.from}::date::timestamp AT TIME ZONE 'UTC' AND placed_at < (${range.to}::date + 1)::timestamp AT TIME ZONE 'UTC'
       ORDER BY id DESC`);
    await expectWalk(100, expected, ordersPage(100, { range }));
  });

  it('without filters: totalCount is every order and the first page the newest', async () => {
    const page = await ordersPage(25)(null);
    const expected = await ids(sql<{ id: number }>`SELECT id FROM orders ORDER BY id DESC LIMIT 25`);
    expect(page.totalCount).toBe(await countOf(sql`SELECT count(*) AS n FROM orders`));
    expect(page.edges.map((e) => Number(e.node.id))).toEqual(expected);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const totals = await db
      .selectFrom('orders')
      .select(['id', 'total', 'store_id'])
      .where('id', 'in', expected)
      .orderBy('id', 'desc')
      .execute();
    expect(page.edges.map((e) => ({ total: e.node.total, store: Number(e.node.store.id) }))).toEqual(
      totals.map((r) => ({ total: r.total, store: r.store_id })),
    );
  });
});

describe('Category.products', () => {
  it('each category’s pages walk its products once, by id', async () => {
    const first = 4;
    const categories = await db.selectFrom('categories').select('id').orderBy('id').execute();
    for (const { id } of categories) {
      const expected = await ids(sql<{ id: number }>`SELECT id FROM products WHERE category_id = ${id} ORDER BY id`);
      await expectWalk(first, expected, async (after) => {
        const data = dataOf(await server.request(TCategoryProductsPageDocument, { variables: { first, after } }));
        expect(data.categories.map((c) => Number(c.id))).toEqual(categories.map((c) => c.id));
        const connection = data.categories.find((c) => Number(c.id) === id)!.products;
        for (const edge of connection.edges) expect(edge.node.category.id).toBe(String(id));
        return connection;
      });
    }
  });
});

describe('Customer.orders', () => {
  it('a customer’s pages walk all their orders once, newest first', async () => {
    const { rows } = await sql<{ id: number }>`
      SELECT customer_id AS id FROM orders WHERE customer_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 2`.execute(db);
    for (const { id } of rows) {
      const expected = await ids(sql<{ id: number }>`SELECT id FROM orders WHERE customer_id = ${id} ORDER BY id DESC`);
      expect(expected.length).toBeGreaterThan(4);
      await expectWalk(4, expected, async (after) => {
        const data = dataOf(await server.request(TCustomerOrdersPageDocument, { variables: { id: String(id), first: 4, after } }));
        for (const edge of data.customer!.orders.edges) expect(edge.node.customer?.id).toBe(String(id));
        return data.customer!.orders;
      });
    }
  });

  it('a customer without orders has an empty connection', async () => {
    const customer = await sql<{ id: number }>`
      SELECT id FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id) ORDER BY id LIMIT 1`.execute(db);
    const data = dataOf(await server.request(TCustomerOrdersPageDocument, { variables: { id: String(customer.rows[0].id), first: 5 } }));
    expect(data.customer!.orders).toEqual({ totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] });
  });
});

describe('page arguments', () => {
  let customerId: string;
  beforeAll(async () => {
    const row = await db
      .selectFrom('orders')
      .select('customer_id')
      .where('customer_id', 'is not', null)
      .orderBy('id')
      .limit(1)
      .executeTakeFirstOrThrow();
    customerId = String(row.customer_id);
  });

  /** One request per connection with the given first/after. */
  function requests(first: number, after: string | null) {
    return {
      stores: () => server.request(TStoresPageDocument, { variables: { first, after } }),
      products: () => server.request(TProductsPageDocument, { variables: { first, after } }),
      orders: () => server.request(TOrdersPageDocument, { variables: { first, after } }),
      categoryProducts: () => server.request(TCategoryProductsPageDocument, { variables: { first, after } }),
      customerOrders: () => server.request(TCustomerOrdersPageDocument, { variables: { id: customerId, first, after } }),
    };
  }

  it('first: 0 returns no edges but the right totalCount and hasNextPage', async () => {
    const storeCount = await countOf(sql`SELECT count(*) AS n FROM stores`);
    const stores = dataOf(await requests(0, null).stores()).stores;
    expect(stores).toEqual({ totalCount: storeCount, pageInfo: { hasNextPage: true, endCursor: null }, edges: [] });
    const productCount = await countOf(sql`SELECT count(*) AS n FROM products`);
    expect(dataOf(await requests(0, null).products()).products).toEqual({
      totalCount: productCount,
      pageInfo: { hasNextPage: true, endCursor: null },
      edges: [],
    });
    const orders = dataOf(await requests(0, null).orders()).orders;
    expect(orders.edges).toEqual([]);
    expect(orders.pageInfo).toEqual({ hasNextPage: true, endCursor: null });
    const perCategory = dataOf(await requests(0, null).categoryProducts()).categories;
    for (const category of perCategory) {
      const count = await countOf(sql`SELECT count(*) AS n FROM products WHERE category_id = ${Number(category.id)}`);
      expect(category.products).toEqual({
        totalCount: count,
        pageInfo: { hasNextPage: count > 0, endCursor: null },
        edges: [],
      });
    }
    const customer = dataOf(await requests(0, null).customerOrders()).customer!;
    expect(customer.orders.edges).toEqual([]);
    expect(customer.orders.totalCount).toBeGreaterThan(0);
    expect(customer.orders.pageInfo).toEqual({ hasNextPage: true, endCursor: null });
  });

  it('first over 100 or below 0: BAD_USER_INPUT naming first, and no data', async () => {
    for (const first of [101, 1000, -1]) {
      for (const [name, request] of Object.entries(requests(first, null))) {
        const response = await request();
        expectBadInput(response, new RegExp(`first must be .*${first}`));
        const data = response.body.data as Record<string, unknown> | null | undefined;
        expect(data ? (Object.values(data)[0] ?? null) : null, `${name} first ${first}`).toBeNull();
      }
    }
  });

  it('first: 100 is allowed on every connection (Category.products: 50, under the cost limit)', async () => {
    for (const [name, request] of Object.entries(requests(100, null))) {
      if (name === 'categoryProducts') continue;
      const response = await request();
      expect(response.body.errors, name).toBeUndefined();
    }
    const categories = dataOf(await requests(50, null).categoryProducts()).categories;
    expect(categories.every((c) => c.products.edges.length === Math.min(50, c.products.totalCount))).toBe(true);
  });

  it('an omitted or explicitly null page size is the schema default; a limit has its own minimum', async () => {
    const page = (args: string) => `{ stores${args} { edges { node { id } } } products${args} { edges { node { id } } } }`;
    const omitted = dataOf(await server.request(page('')));
    expect(omitted.stores.edges).toHaveLength(20); // 28 stores, default first: 20
    expect(omitted.products.edges).toHaveLength(20);
    expect(dataOf(await server.request(page('(first: null)')))).toEqual(omitted);

    const top = (limit: string) => `query ($range: DateRange!) { store(id: "1") { topProducts(range: $range${limit}) { revenue } } }`;
    const variables = { range: lastDays(90) };
    const byDefault = dataOf(await server.request(top(''), { variables })).store!.topProducts;
    expect(byDefault).toHaveLength(10);
    expect(dataOf(await server.request(top(', limit: null'), { variables })).store!.topProducts).toEqual(byDefault);
    expectBadInput(await server.request(top(', limit: 0'), { variables }), /^limit must be between 1 and 100, got 0$/);
  });

  it('a cursor the API did not issue: BAD_USER_INPUT naming after', async () => {
    const bad = ['garbage!', cursorOf('c:abc'), cursorOf('x:12'), cursorOf('c:-5'), ''];
    for (const after of bad) {
      for (const [name, request] of Object.entries(requests(5, after))) {
        const response = await request();
        expect(response.body.errors, `${name} after ${JSON.stringify(after)}`).toBeDefined();
        expectBadInput(response, /after/);
      }
    }
  });

  it('a well-formed cursor past the end of an int4 id: BAD_USER_INPUT or an empty page, never a 500', async () => {
    const after = cursorOf('c:99999999999');
    for (const [name, request] of Object.entries(requests(5, after))) {
      const response = await request();
      const code = response.body.errors?.[0]?.extensions?.code;
      expect(code === undefined || code === 'BAD_USER_INPUT', `${name}: ${JSON.stringify(response.body.errors)}`).toBe(true);
      expect(response.status, name).toBeLessThan(500);
    }
  });

  it('a cursor from the last row pages to an empty page', async () => {
    const last = await db.selectFrom('stores').select('id').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    const page = dataOf(await requests(5, cursorOf(`c:${last.id}`)).stores()).stores;
    expect(page.edges).toEqual([]);
    expect(page.pageInfo).toEqual({ hasNextPage: false, endCursor: null });
    expect(page.totalCount).toBe(28);
  });
});
