import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/database.js';
import { refreshAggregates } from '../src/db/queries/refresh-aggregates.js';
import {
  CategoryLeaderboardDocument,
  ProductDetailsDocument,
  RecordOrderDocument,
  RevenueMetricsDocument,
  StoreFunnelDocument,
  TCategoryPerformanceDocument,
  TCustomerValueDocument,
  TProductsAnalyticsDocument,
  TStoreAnalyticsDocument,
  TStoreInventoryDocument,
  TStoreRevenueDocument,
  type Granularity,
  type InventoryStatus,
} from './generated/graphql.js';
import { dataOf } from './helpers/graphql-client.js';
import { lastDays, utcDaysAgo } from './helpers/dates.js';
import {
  categoryTruth,
  cents,
  customerInsightsTruth,
  inventoryTruth,
  lifetimeValueTruth,
  productPerformanceTruth,
  productSalesTruth,
  revenueTruth,
  trafficTruth,
  type Range,
  type SeriesTruth,
} from './helpers/sql-truth.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/**
 * Every analytic field, asked over HTTP, equals a plain SQL aggregate over the base
 * tables written in test/helpers/sql-truth.ts — before any write (closed days come from
 * the materialized views), after orders recorded for today and for a past day with no
 * refresh (the watermark is pulled back), and after refreshAggregates.
 */

let server: TestServer;
let db: Db;
let storeIds: number[];
let productIds: number[];
let customerIds: number[];

const today = () => utcDaysAgo(0);
const GRANULARITIES: Granularity[] = ['DAY', 'WEEK', 'MONTH'];
/** The past day the "closed day" write lands on: inside `recent` and `all`, before today. */
const PAST_DAYS_AGO = 12;

/** What one round of checks covers: every store and range first, then what writes touch. */
interface Scope {
  ranges: Record<string, Range>;
  stores: number[];
}

const fullScope = (): Scope => ({ ranges: ranges(), stores: storeIds });

function ranges(): Record<string, Range> {
  return {
    // closed days from the views plus today from the base tables
    recent: lastDays(30),
    // closed days only, across a month boundary
    closed: { from: utcDaysAgo(120), to: utcDaysAgo(60) },
    // more than the seeded 180 days, starting before any data
    all: { from: utcDaysAgo(200), to: today() },
    // today alone
    today: { from: today(), to: today() },
  };
}

function seriesOf(api: {
  total: number;
  orders: number;
  items: number;
  averageTicket: number;
  points: Array<{ period: string; revenue: number; orders: number; items: number }>;
}) {
  return {
    totalCents: cents(api.total),
    orders: api.orders,
    items: api.items,
    averageTicketCents: cents(api.averageTicket),
    points: api.points.map((p) => ({ period: p.period, revenueCents: cents(p.revenue), orders: p.orders, items: p.items })),
  } satisfies SeriesTruth;
}

const rate4 = (rate: number) => Math.round(rate * 10_000);

/** Runs the checks side by side: the server and Postgres answer concurrent requests. */
async function inParallel(tasks: Array<() => Promise<void>>): Promise<void> {
  await Promise.all(tasks.map((task) => task()));
}

/** [name, range, store] for every range and store of the scope. */
function rangesByStore(scope: Scope): Array<[string, Range, number]> {
  return Object.entries(scope.ranges).flatMap(([name, range]) =>
    scope.stores.map((storeId): [string, Range, number] => [name, range, storeId]),
  );
}

async function checkStoreRevenue(scope: Scope = fullScope()): Promise<void> {
  await inParallel(
    rangesByStore(scope).flatMap(([name, range, storeId]) =>
      GRANULARITIES.map((granularity) => async () => {
        const data = dataOf(await server.request(TStoreRevenueDocument, { variables: { id: String(storeId), range, granularity } }));
        const truth = await revenueTruth(db, [storeId], range, granularity);
        expect(seriesOf(data.store!.revenue), `store ${storeId} ${name} ${granularity}`).toEqual(truth);
      }),
    ),
  );
}

async function checkStoreAnalytics(scope: Scope = fullScope(), limits = [3, 100]): Promise<void> {
  await inParallel(
    rangesByStore(scope).flatMap(([name, range, storeId]) =>
      limits.map((limit) => async () => {
        const data = dataOf(await server.request(TStoreAnalyticsDocument, { variables: { id: String(storeId), range, limit } }));
        const store = data.store!;
        const label = `store ${storeId} ${name} limit ${limit}`;

        expect(
          store.trafficPatterns.map((c) => ({
            dayOfWeek: c.dayOfWeek,
            hour: c.hour,
            orders: c.orders,
            revenueCents: cents(c.revenue),
            visits: c.visits,
          })),
          `${label} trafficPatterns`,
        ).toEqual(await trafficTruth(db, storeId, range));

        expect(
          store.topProducts.map((p) => ({
            productId: Number(p.product.id),
            unitsSold: p.unitsSold,
            revenueCents: cents(p.revenue),
            marginCents: cents(p.margin),
          })),
          `${label} topProducts`,
        ).toEqual((await productSalesTruth(db, [storeId], range)).slice(0, limit));

        const insights = await customerInsightsTruth(db, storeId, range);
        const api = store.customerInsights;
        expect(
          { ...api, repeatRate: rate4(api.repeatRate), averageLifetimeValue: cents(api.averageLifetimeValue) },
          `${label} customerInsights`,
        ).toEqual({
          newCustomers: insights.newCustomers,
          returningCustomers: insights.returningCustomers,
          repeatRate: rate4(insights.repeatRate),
          averageLifetimeValue: insights.averageLifetimeValueCents,
          activeCustomers: insights.activeCustomers,
        });
      }),
    ),
  );
}

async function checkStoreInventory(scope: Scope = fullScope(), firsts = [0, 2, 100]): Promise<{ low: number; out: number }> {
  let low = 0;
  let out = 0;
  const statuses: InventoryStatus[] = ['ALL', 'OK', 'LOW', 'OUT'];
  for (const storeId of scope.stores) {
    const truth = await inventoryTruth(db, storeId, today());
    low += truth.filter((row) => row.status === 'LOW').length;
    out += truth.filter((row) => row.status === 'OUT').length;
    await inParallel(
      statuses.flatMap((status) =>
        firsts.map((first) => async () => {
          const data = dataOf(await server.request(TStoreInventoryDocument, { variables: { id: String(storeId), status, first } }));
          expect(
            data.store!.inventory.map((row) => ({
              storeId: Number(row.store.id),
              productId: Number(row.product.id),
              onHand: row.onHand,
              reorderPoint: row.reorderPoint,
              status: row.status,
              daysOfCover: row.daysOfCover,
            })),
            `store ${storeId} inventory ${status} first ${first}`,
          ).toEqual(truth.filter((row) => status === 'ALL' || row.status === status).slice(0, first));
        }),
      ),
    );
  }
  return { low, out };
}

const salesOf = (id: number, p: { unitsSold: number; revenue: number; margin: number }) => ({
  productId: id,
  unitsSold: p.unitsSold,
  revenueCents: cents(p.revenue),
  marginCents: cents(p.margin),
});

/** Every product in one request (batched loaders): performance everywhere and at one store, inventory there. */
async function checkProducts(scope: Scope = fullScope()): Promise<void> {
  await inParallel(
    rangesByStore(scope).map(([name, range, storeId]) => async () => {
      const data = dataOf(await server.request(TProductsAnalyticsDocument, { variables: { range, storeId: String(storeId) } }));
      expect(data.products.edges.map((e) => Number(e.node.id))).toEqual(productIds);
      const everywhere = new Map((await productSalesTruth(db, null, range)).map((row) => [row.productId, row]));
      const atStore = new Map((await productSalesTruth(db, [storeId], range)).map((row) => [row.productId, row]));
      const inventory = new Map((await inventoryTruth(db, storeId, today())).map((row) => [row.productId, row]));
      for (const { node } of data.products.edges) {
        const id = Number(node.id);
        const zero = { productId: id, unitsSold: 0, revenueCents: 0, marginCents: 0 };
        const label = `product ${id} ${name} store ${storeId}`;
        expect(salesOf(id, node.performance), `${label} performance`).toEqual(everywhere.get(id) ?? zero);
        expect(salesOf(id, node.atStore), `${label} performance(storeId)`).toEqual(atStore.get(id) ?? zero);
        const level = node.inventory;
        expect(
          level && {
            storeId: Number(level.store.id),
            productId: Number(level.product.id),
            onHand: level.onHand,
            reorderPoint: level.reorderPoint,
            status: level.status,
            daysOfCover: level.daysOfCover,
          },
          `${label} inventory`,
        ).toEqual(inventory.get(id) ?? null);
      }
    }),
  );
}

/** The single-product query (one parent per request, no batching). */
async function checkOneProduct(productId: number, scope: Scope = fullScope()): Promise<void> {
  const storeId = scope.stores[0];
  await inParallel(
    Object.values(scope.ranges).map((range) => async () => {
      const data = dataOf(
        await server.request(ProductDetailsDocument, { variables: { id: String(productId), range, storeId: String(storeId) } }),
      );
      const p = data.product!;
      expect(Number(p.performance.product.id)).toBe(productId);
      expect(salesOf(productId, p.performance)).toEqual(await productPerformanceTruth(db, productId, null, range));
      expect(salesOf(productId, p.atStore)).toEqual(await productPerformanceTruth(db, productId, [storeId], range));
    }),
  );
}

async function checkCategories(scope: Scope = fullScope()): Promise<void> {
  const asTruth = (row: { revenue: number; unitsSold: number; share: number; category: { id: string } }) => ({
    categoryId: Number(row.category.id),
    revenueCents: cents(row.revenue),
    unitsSold: row.unitsSold,
    share: rate4(row.share),
  });
  await inParallel(
    Object.entries(scope.ranges).map(([name, range]) => async () => {
      const expected = (await categoryTruth(db, range)).map((row) => ({ ...row, share: rate4(row.share) }));

      const perCategory = dataOf(await server.request(TCategoryPerformanceDocument, { variables: { range } }));
      for (const c of perCategory.categories) expect(c.performance.category.id).toBe(c.id);
      expect(
        perCategory.categories.map((c) => asTruth(c.performance)),
        `Category.performance ${name}`,
      ).toEqual([...expected].sort((a, b) => a.categoryId - b.categoryId));

      for (const limit of [1, 3, 100]) {
        const board = dataOf(await server.request(CategoryLeaderboardDocument, { variables: { range, limit } }));
        expect(board.categoryLeaderboard.map(asTruth), `categoryLeaderboard ${name} limit ${limit}`).toEqual(expected.slice(0, limit));
      }
    }),
  );
}

async function checkLifetimeValues(): Promise<void> {
  await inParallel(
    customerIds.map((id) => async () => {
      const data = dataOf(await server.request(TCustomerValueDocument, { variables: { id: String(id) } }));
      expect(cents(data.customer!.lifetimeValue), `customer ${id} lifetimeValue`).toBe(await lifetimeValueTruth(db, id));
    }),
  );
}

async function checkRevenueMetrics(scope: Scope = fullScope()): Promise<void> {
  const subsets: Array<number[] | null> = [null, [scope.stores[0]], [...new Set([scope.stores[0], storeIds[0], storeIds.at(-1)!])]];
  await inParallel(
    Object.entries(scope.ranges).flatMap(([name, range]) =>
      subsets.flatMap((subset) =>
        GRANULARITIES.map((granularity) => async () => {
          const variables = { range, granularity, storeIds: subset?.map(String) ?? null };
          const data = dataOf(await server.request(RevenueMetricsDocument, { variables }));
          const truth = await revenueTruth(db, subset, range, granularity);
          expect(seriesOf(data.revenueMetrics), `revenueMetrics ${name} ${granularity} ${JSON.stringify(subset)}`).toEqual(truth);
        }),
      ),
    ),
  );
}

/**
 * What writes touch: the written store over ranges holding the written days. `fresh`
 * uses ranges and page sizes asked nowhere before, so the answers are computed now
 * rather than served from the field cache (after a refresh, which invalidates nothing).
 */
async function checkEverything(storeId: number, fresh = false): Promise<void> {
  const scope: Scope = fresh
    ? { ranges: { recent31: lastDays(31), all201: { from: utcDaysAgo(201), to: today() } }, stores: [storeId] }
    : { ranges: { recent: ranges().recent, all: ranges().all }, stores: [storeId] };
  await checkStoreRevenue(scope);
  await checkStoreAnalytics(scope, fresh ? [99] : [3, 100]);
  await checkStoreInventory(scope, fresh ? [99] : [0, 2, 100]);
  await checkProducts(scope);
  await checkOneProduct(productIds[0], scope);
  await checkCategories(scope);
  await checkLifetimeValues();
  await checkRevenueMetrics(scope);
}

/** Funnel counts over events, by the UTC calendar day of occurred_at. */
async function funnelTruth(storeId: number, range: Range) {
  const { rows } = await sql<{ visits: number; pageViews: number; addToCarts: number; checkouts: number }>`
    SELECT count(*) FILTER (WHERE type = 'VISIT')::int AS "visits", count(*) FILTER (WHERE type = 'PAGE_VIEW')::int AS "pageViews",
           count(*) FILTER (WHERE type = 'ADD_TO_CART')::int AS "addToCarts", count(*) FILTER (WHERE type = 'CHECKOUT')::int AS "checkouts"
      FROM events
     WHERE store_id = ${storeId} AND (occurred_at AT TIME ZONE 'UTC')::date BETWEEN ${range.from}::date AND ${range.to}::date`.execute(db);
  const row = rows[0];
  return { ...row, conversionRate: row.visits === 0 ? 0 : rate4(row.checkouts / row.visits) };
}

/** Store.funnel, the visits of trafficPatterns and activeCustomers (one events statement) against SQL over the base tables. */
async function checkEvents(ranges: Record<string, Range>, stores: number[]): Promise<void> {
  await inParallel(
    Object.entries(ranges).flatMap(([name, range]) =>
      stores.map((storeId) => async () => {
        const data = dataOf(await server.request(StoreFunnelDocument, { variables: { id: String(storeId), range } }));
        const label = `store ${storeId} ${name}`;
        const funnel = data.store!.funnel;
        expect({ ...funnel, conversionRate: rate4(funnel.conversionRate) }, `${label} funnel`).toEqual(await funnelTruth(storeId, range));
        expect(data.store!.trafficPatterns, `${label} trafficPatterns`).toEqual(
          (await trafficTruth(db, storeId, range)).map(({ dayOfWeek, hour, orders, visits }) => ({ dayOfWeek, hour, orders, visits })),
        );
        expect(data.store!.customerInsights.activeCustomers, `${label} activeCustomers`).toBe(
          (await customerInsightsTruth(db, storeId, range)).activeCustomers,
        );
      }),
    ),
  );
}

/** Event ranges: under, at and over two weeks, closed or reaching today, and days long before any event. */
function eventRanges(): Record<string, Range> {
  return {
    closed7: { from: utcDaysAgo(20), to: utcDaysAgo(14) },
    closed13: { from: utcDaysAgo(33), to: utcDaysAgo(21) },
    closed14: { from: utcDaysAgo(47), to: utcDaysAgo(34) },
    recent15: lastDays(15),
    recent90: lastDays(90),
    beforeData: { from: utcDaysAgo(400), to: utcDaysAgo(190) },
  };
}

async function coveredUntil(): Promise<string> {
  const row = await db.selectFrom('aggregate_state').select(['covered_until']).where('id', '=', 1).executeTakeFirstOrThrow();
  return row.covered_until;
}

beforeAll(async () => {
  server = await startTestServer();
  db = server.app.services.database.db;
  storeIds = (await db.selectFrom('stores').select('id').orderBy('id').execute()).map((r) => r.id);
  productIds = (await db.selectFrom('products').select('id').orderBy('id').execute()).map((r) => r.id);
  // The busiest customers, one with a refunded order, and one who never ordered.
  const { rows } = await sql<{ id: number }>`
    (SELECT customer_id AS id FROM orders WHERE customer_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 3)
    UNION (SELECT customer_id FROM orders WHERE status = 'REFUNDED' AND customer_id IS NOT NULL ORDER BY id LIMIT 1)
    UNION (SELECT id FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id) ORDER BY id LIMIT 1)`.execute(
    db,
  );
  customerIds = rows.map((r) => r.id);
});
afterAll(() => server?.stop());

describe('analytics over GraphQL equal SQL over the base tables', () => {
  it('the seeded data is what the checks need', async () => {
    expect(storeIds.length).toBeGreaterThanOrEqual(3);
    expect(productIds.length).toBeLessThanOrEqual(100); // one products(first: 100) page holds them all
    expect(customerIds.length).toBeGreaterThanOrEqual(4);
    // The views cover the closed days, so the first checks really read them.
    expect(await coveredUntil()).toBe(today());
    const refunded = await db
      .selectFrom('orders')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'REFUNDED')
      .executeTakeFirstOrThrow();
    expect(Number(refunded.n)).toBeGreaterThan(0);
  });

  it('Store.revenue (DAY, WEEK, MONTH), every store and range', () => checkStoreRevenue());
  it('Store.trafficPatterns, topProducts(limit) and customerInsights', () => checkStoreAnalytics());
  it('Store.inventory with every status filter and first', async () => {
    const { low, out } = await checkStoreInventory();
    expect(low).toBeGreaterThan(0);
    expect(out).toBeGreaterThan(0);
  });
  it('Product.performance (all stores, one store) and Product.inventory', async () => {
    await checkProducts();
    await Promise.all(productIds.slice(0, 3).map((id) => checkOneProduct(id)));
  });
  it('Category.performance and categoryLeaderboard (share)', () => checkCategories());
  it('Customer.lifetimeValue', () => checkLifetimeValues());
  it('revenueMetrics over all stores and subsets', () => checkRevenueMetrics());
  it('Store.funnel, visits and activeCustomers over ranges under and over two weeks', () => checkEvents(eventRanges(), storeIds));

  it('the revenue points are zero-filled and start at each period (ISO Monday, 1st of month)', async () => {
    const range = { from: utcDaysAgo(200), to: today() };
    const week = dataOf(await server.request(RevenueMetricsDocument, { variables: { range, granularity: 'WEEK' } }));
    expect(week.revenueMetrics.points.every((p) => new Date(`${p.period}T00:00:00Z`).getUTCDay() === 1)).toBe(true);
    expect(week.revenueMetrics.points[0].period <= range.from).toBe(true);
    const month = dataOf(await server.request(RevenueMetricsDocument, { variables: { range, granularity: 'MONTH' } }));
    expect(month.revenueMetrics.points.every((p) => p.period.endsWith('-01'))).toBe(true);
    const day = dataOf(await server.request(RevenueMetricsDocument, { variables: { range, granularity: 'DAY' } }));
    expect(day.revenueMetrics.points).toHaveLength(201);
    expect(day.revenueMetrics.points[0]).toEqual({ period: range.from, revenue: 0, orders: 0, items: 0 });
  });

  it('a range ending before it starts, or longer than 731 days: BAD_USER_INPUT naming range', async () => {
    const bad = [
      { from: today(), to: utcDaysAgo(1) },
      { from: utcDaysAgo(731), to: today() },
    ];
    for (const range of bad) {
      const store = await server.request(TStoreRevenueDocument, { variables: { id: String(storeIds[0]), range, granularity: 'DAY' } });
      const chain = await server.request(RevenueMetricsDocument, { variables: { range, granularity: 'DAY' } });
      for (const response of [store, chain]) {
        const error = response.body.errors?.[0];
        expect({ code: error?.extensions?.code, message: error?.message }).toEqual({
          code: 'BAD_USER_INPUT',
          message: expect.stringMatching(/range/),
        });
      }
    }
    // 731 days is the most allowed.
    const longest = await server.request(RevenueMetricsDocument, {
      variables: { range: { from: utcDaysAgo(730), to: today() }, granularity: 'MONTH' },
    });
    expect(longest.body.errors).toBeUndefined();
  });

  describe('after writes', () => {
    let storeId: number;
    let customerId: number;

    beforeAll(async () => {
      storeId = storeIds[1];
      // A customer with history at this store, so insights and lifetime values move.
      const { rows } = await sql<{ id: number }>`
        SELECT customer_id AS id FROM orders WHERE store_id = ${storeId} AND status = 'COMPLETED' AND customer_id IS NOT NULL
         GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`.execute(db);
      customerId = rows[0].id;
      if (!customerIds.includes(customerId)) customerIds.push(customerId);
    });

    async function record(placedAt: string | null, customer: number | null, items: Array<[number, number]>) {
      const data = dataOf(
        await server.request(RecordOrderDocument, {
          variables: {
            input: {
              storeId: String(storeId),
              customerId: customer === null ? null : String(customer),
              placedAt,
              channel: 'ONLINE',
              items: items.map(([productId, quantity]) => ({ productId: String(productId), quantity })),
            },
          },
        }),
      );
      return data.recordOrder;
    }

    it('an order for today and one for a past day are in every answer at once, without a refresh', async () => {
      await checkLifetimeValues(); // warm the customer's lifetime value, so a stale cache would show
      const before = await coveredUntil();
      const pastDay = utcDaysAgo(PAST_DAYS_AGO);
      await record(null, customerId, [
        [productIds[0], 3],
        [productIds[5], 2],
      ]);
      expect(await coveredUntil()).toBe(before); // today's write leaves the closed days to the views
      const past = await record(`${pastDay}T13:45:00.000Z`, customerId, [
        [productIds[1], 7],
        [productIds[0], 1],
      ]);
      expect(past.placedAt.slice(0, 10)).toBe(pastDay);
      // The closed day the order landed on is read from the base tables from now on.
      expect(await coveredUntil()).toBe(pastDay);
      // The checks below have teeth: with the watermark left at today, the stale view
      // would answer the past day without the new order.
      // (A range asked nowhere else: the stale answer may sit in the field cache.)
      const range = { from: pastDay, to: pastDay };
      await db.updateTable('aggregate_state').set({ covered_until: today() }).where('id', '=', 1).execute();
      const stale = dataOf(await server.request(TStoreRevenueDocument, { variables: { id: String(storeId), range, granularity: 'DAY' } }));
      await db.updateTable('aggregate_state').set({ covered_until: pastDay }).where('id', '=', 1).execute();
      expect(seriesOf(stale.store!.revenue)).not.toEqual(await revenueTruth(db, [storeId], range, 'DAY'));
      // A guest order (no customer) on another past day, closed in the views as well.
      await record(`${utcDaysAgo(40)}T08:05:00.000Z`, null, [[productIds[2], 4]]);
      expect(await coveredUntil()).toBe(utcDaysAgo(40));

      await checkEverything(storeId);
    });

    it('refreshAggregates moves the watermark to today and the answers stay equal', async () => {
      const result = await refreshAggregates(db);
      expect(result).toEqual({ coveredUntil: today(), advanced: true });
      expect(await coveredUntil()).toBe(today());
      await checkEverything(storeId, true);
    });

    it('a past-day write after the refresh is seen again at once', async () => {
      await record(`${utcDaysAgo(3)}T22:59:59.000Z`, customerId, [[productIds[3], 5]]);
      expect(await coveredUntil()).toBe(utcDaysAgo(3));
      const scope: Scope = { ranges: { recent: ranges().recent }, stores: [storeId] };
      await checkStoreRevenue(scope);
      await checkStoreAnalytics(scope);
      await checkProducts(scope);
      await checkRevenueMetrics(scope);
    });

    it('an event ingested into a closed day pulls the watermark back and counts at once', async () => {
      const eventDay = utcDaysAgo(9);
      // Straight into the table (any writer): the trigger of migration 005 moves the watermark.
      await sql`
        INSERT INTO events (id, store_id, type, occurred_at, customer_id)
        VALUES ('late-1', ${storeId}, 'VISIT', ${`${eventDay}T05:10:00Z`}::timestamptz, ${customerId}),
               ('late-2', ${storeId}, 'CHECKOUT', ${`${eventDay}T05:20:00Z`}::timestamptz, ${customerId}),
               ('late-3', ${storeId}, 'VISIT', ${`${eventDay}T23:59:59Z`}::timestamptz, NULL)`.execute(db);
      expect(await coveredUntil()).toBe(eventDay);
      // Ranges asked nowhere before: the field cache holds no answer for them.
      await checkEvents({ late16: { from: utcDaysAgo(16), to: utcDaysAgo(1) }, late9: { from: eventDay, to: eventDay } }, [storeId]);
      const result = await refreshAggregates(db);
      expect(result).toEqual({ coveredUntil: today(), advanced: true });
      await checkEvents({ late17: { from: utcDaysAgo(17), to: utcDaysAgo(1) }, late8: { from: utcDaysAgo(10), to: utcDaysAgo(3) } }, [
        storeId,
      ]);
    });
  });
});
