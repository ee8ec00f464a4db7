import { randomBytes } from 'node:crypto';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { composeFieldResolvers } from '../src/execution/field-resolvers.js';
import { hashOf } from '../src/cache/keys.js';
import { warmCache } from '../src/jobs/warm-cache.js';
import type { Db } from '../src/db/database.js';
import { buildGraphqlSchema } from '../src/schema/build-schema.js';
import { utcDaysAgo } from './helpers/dates.js';
import { expectDayInvalidated, invalidate, reportOf, STORE_SALES, tiersOf } from './helpers/cache-probe.js';
import { dataOf, type GraphqlResponse } from './helpers/graphql-client.js';
import { skipWithoutRedis } from './helpers/redis-server.js';
import { cents, revenueTruth } from './helpers/sql-truth.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * @cached through the real server (L1 + the test Redis as L2 when there is one): what
 * responses say the cache did, freshness after writes, scopes, errors, invalidation,
 * single flight and warming. Each test uses its own date range so their entries do not meet.
 *
 * Two servers, each on its own database and key prefix: `server` as configured by default
 * (the operation hot path on: a fully cached repeat is answered from a stored response,
 * X-Cache HIT without extensions.cache) and `fieldServer` with HOT_PATH=false, where every
 * response goes through the per-field cache and lists what each field did. Correctness
 * (freshness, scopes, errors) is checked on both.
 */

const redisUrl = inject('redisUrl');
const noRedis = skipWithoutRedis(Boolean(redisUrl), 'cache-graphql (L2 assertions)');
const prefix = `cgql-${randomBytes(4).toString('hex')}:`;
const fieldPrefix = `cgqlf-${randomBytes(4).toString('hex')}:`;

let server: TestServer;
let fieldServer: TestServer;
let db: Db;
let redis: Redis | null = null;
let stores: number[];
let productId: number;

function errorCodes(response: GraphqlResponse<unknown>): unknown[] {
  return (response.body.errors ?? []).map((e) => e.extensions?.code);
}

/** A cached field answered from the cache: its tier, or a hot-path hit (the whole response stored). */
function servedFromCache(response: GraphqlResponse<unknown>, path: string): boolean {
  const report = reportOf(response);
  if (!report) return response.headers.get('x-cache') === 'HIT';
  const tier = report.fields.find((f) => f.path === path)?.tier;
  return tier === 'L1' || tier === 'L2' || tier === 'OPERATION';
}

const range = (fromDaysAgo: number, toDaysAgo: number) => ({ from: utcDaysAgo(fromDaysAgo), to: utcDaysAgo(toDaysAgo) });

async function createKey(target: TestServer, role: 'VIEWER' | 'ADMIN' | 'INGEST', storeIds: number[] | null): Promise<string> {
  const response = await target.request(
    `mutation ($name: String!, $role: Role!, $storeIds: [ID!]) { createApiKey(name: $name, role: $role, storeIds: $storeIds) { key } }`,
    { variables: { name: `cache ${role} ${storeIds ?? 'all'}`, role, storeIds: storeIds?.map(String) ?? null } },
  );
  return dataOf(response).createApiKey.key as string;
}

/**
 * Waits for the L2 writes a request left behind (they are not awaited by it): a read on the
 * same Redis connection is answered after every command sent before it.
 */
async function l2Settled(target: TestServer): Promise<void> {
  await target.app.services.cache.l2?.get('settle');
}

async function clearCache(target: TestServer): Promise<void> {
  target.app.services.cache.l1.clear();
  await target.app.services.cache.l2?.clear();
}

beforeAll(async () => {
  [server, fieldServer] = await Promise.all([
    startTestServer({ env: noRedis ? {} : { REDIS_URL: redisUrl, REDIS_PREFIX: prefix } }),
    startTestServer({
      env: {
        LOG_LEVEL: process.env.CACHE_TEST_LOG ?? 'silent',
        HOT_PATH: 'false',
        ...(noRedis ? {} : { REDIS_URL: redisUrl, REDIS_PREFIX: fieldPrefix }),
      },
    }),
  ]);
  // Both databases are clones of one template: same stores and products.
  db = server.app.services.database.db;
  if (!noRedis) redis = new Redis(redisUrl);
  stores = (await db.selectFrom('stores').select('id').orderBy('id').execute()).map((r) => r.id);
  expect(stores.length).toBeGreaterThanOrEqual(3);
  productId = (await db.selectFrom('products').select('id').orderBy('id').limit(1).executeTakeFirstOrThrow()).id;
  // The admin key is looked up once, before anything counts statements.
  await Promise.all([server.request('{ categories { id } }'), fieldServer.request('{ categories { id } }')]);
});

afterAll(async () => {
  redis?.disconnect();
  await Promise.all([server?.stop(), fieldServer?.stop()]);
});

const both = [
  ['hot path on', () => server],
  ['HOT_PATH=false', () => fieldServer],
] as const;

describe('what the cache did: extensions.cache and X-Cache (HOT_PATH=false: every response lists its fields)', () => {
  it('a first read misses, a repeat hits; X-Cache is HIT only when every cached field hit', async () => {
    const variables = { id: String(stores[0]), range: range(60, 55) };
    const truth = await revenueTruth(db, [stores[0]], variables.range, 'DAY');

    const first = await fieldServer.request(STORE_SALES, { variables });
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(reportOf(first)).toEqual({
      hits: 0,
      misses: 3,
      fields: [
        { path: 'store', tier: 'MISS', age: 0, stale: false },
        { path: 'store.revenue', tier: 'MISS', age: 0, stale: false },
        { path: 'store.trafficPatterns', tier: 'MISS', age: 0, stale: false },
      ],
    });
    expect(cents(dataOf(first).store.revenue.total)).toBe(truth.totalCents);

    const second = await fieldServer.request(STORE_SALES, { variables });
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(reportOf(second)).toMatchObject({ hits: 3, misses: 0 });
    expect(tiersOf(second)).toEqual({ store: 'L1', 'store.revenue': 'L1', 'store.trafficPatterns': 'L1' });
    expect(reportOf(second)!.fields.every((f) => f.age <= 2 && f.stale === false)).toBe(true);
    expect(second.body.data).toEqual(first.body.data);

    // One cached field more: the others hit, that one misses, so the response is a MISS.
    const partial = await fieldServer.request(
      `query ($id: ID!, $range: DateRange!) {
        store(id: $id) { revenue(range: $range) { total } trafficPatterns(range: $range) { hour } topProducts(range: $range) { revenue } }
      }`,
      { variables },
    );
    expect(partial.headers.get('x-cache')).toBe('MISS');
    expect(tiersOf(partial)).toEqual({ store: 'L1', 'store.revenue': 'L1', 'store.trafficPatterns': 'L1', 'store.topProducts': 'MISS' });
    expect(reportOf(partial)).toMatchObject({ hits: 3, misses: 1 });

    // No cached field at all: MISS and no report.
    const plain = await fieldServer.request('{ orders(first: 2) { edges { node { id total } } } }');
    expect(plain.headers.get('x-cache')).toBe('MISS');
    expect(reportOf(plain)).toBeUndefined();

    // The age grows in whole seconds: hits (which leave the entries as they are) until every age has reached 1.
    const older = await waitFor(
      async () => {
        const response = await fieldServer.request(STORE_SALES, { variables });
        return reportOf(response)!.fields.every((f) => f.age >= 1) && response;
      },
      { timeoutMs: 5_000, intervalMs: 100, what: 'every cached field of STORE_SALES to be a second old' },
    );
    // (Entries made in one request may be up to a second apart on a busy machine.)
    for (const field of reportOf(older)!.fields)
      expect([field.age, field.stale]).toEqual([expect.toSatisfy((age: number) => age >= 1 && age <= 3), false]);
    expect(older.headers.get('x-cache')).toBe('HIT');
  });

  it.skipIf(noRedis)('with L1 emptied the entries come from L2 (still a HIT), then from L1 again', async () => {
    const variables = { id: String(stores[1]), range: range(62, 58) };
    await fieldServer.request(STORE_SALES, { variables });
    await l2Settled(fieldServer);
    fieldServer.app.services.cache.l1.clear();
    const fromL2 = await fieldServer.request(STORE_SALES, { variables });
    expect(tiersOf(fromL2)).toEqual({ store: 'L2', 'store.revenue': 'L2', 'store.trafficPatterns': 'L2' });
    expect(fromL2.headers.get('x-cache')).toBe('HIT');
    const fromL1 = await fieldServer.request(STORE_SALES, { variables });
    expect(tiersOf(fromL1)).toEqual({ store: 'L1', 'store.revenue': 'L1', 'store.trafficPatterns': 'L1' });
    expect(fromL1.body.data).toEqual(fromL2.body.data);
  });

  it('a cached field that fails makes the response a MISS, even when the other cached fields hit', async () => {
    const id = String(stores[2]);
    await fieldServer.request(`query ($id: ID!) { store(id: $id) { id } }`, { variables: { id } }); // store(id) is now cached
    const bad = { id, range: { from: utcDaysAgo(30), to: utcDaysAgo(40) } }; // to before from
    const response = await fieldServer.request(STORE_SALES, { variables: bad });
    expect(errorCodes(response)).toContain('BAD_USER_INPUT');
    expect(tiersOf(response).store).toBe('L1');
    expect(tiersOf(response)['store.revenue']).toBe('MISS');
    expect(response.headers.get('x-cache')).toBe('MISS');
  });

  it('with the hot path on, a fully cached repeat is a HIT and a partly cached one a MISS', async () => {
    const variables = { id: String(stores[0]), range: range(64, 61) };
    expect((await server.request(STORE_SALES, { variables })).headers.get('x-cache')).toBe('MISS');
    const again = await server.request(STORE_SALES, { variables });
    expect(again.headers.get('x-cache')).toBe('HIT');
    const partial = await server.request(
      `query ($id: ID!, $range: DateRange!) { store(id: $id) { revenue(range: $range) { total } funnel(range: $range) { visits } } }`,
      { variables },
    );
    expect(partial.headers.get('x-cache')).toBe('MISS');
    expect(tiersOf(partial)).toEqual({ store: 'L1', 'store.revenue': 'L1', 'store.funnel': 'MISS' });
  });
});

describe.each(both)('freshness after writes (%s)', (_name, target) => {
  it('after recordOrder the totals it touches are fresh and equal SQL; the others stay cached', async () => {
    const s = target();
    const sdb = s.app.services.database.db;
    const [storeId, otherId] = stores;
    const recent = range(6, 0);
    const closed = range(20, 10);
    const query = `query ($id: ID!, $other: ID!, $range: DateRange!, $closed: DateRange!) {
      store(id: $id) { revenue(range: $range) { total orders items } closedDays: revenue(range: $closed) { total } }
      other: store(id: $other) { revenue(range: $range) { total } }
      all: revenueMetrics(range: $range) { total orders }
      one: revenueMetrics(range: $range, storeIds: [$id]) { total orders }
    }`;
    const variables = { id: String(storeId), other: String(otherId), range: recent, closed };
    const before = dataOf(await s.request(query, { variables }));
    const cached = await s.request(query, { variables });
    expect(cached.headers.get('x-cache')).toBe('HIT');

    const order = dataOf(
      await s.request(`mutation ($input: OrderInput!) { recordOrder(input: $input) { id total } }`, {
        variables: { input: { storeId: String(storeId), items: [{ productId: String(productId), quantity: 3 }] } },
      }),
    ).recordOrder;
    expect(order.total).toBeGreaterThan(0);

    const after = await s.request(query, { variables });
    const data = dataOf(after);
    expect(after.headers.get('x-cache')).toBe('MISS');
    expect(tiersOf(after)).toEqual({
      store: 'L1', // the store itself did not change
      'store.revenue': 'MISS',
      'store.closedDays': 'L1', // closed days are not touched by today's order
      other: 'L1',
      'other.revenue': 'L1', // another store's sales are not touched
      all: 'MISS',
      one: 'MISS',
    });
    const storeTruth = await revenueTruth(sdb, [storeId], recent, 'DAY');
    const allTruth = await revenueTruth(sdb, null, recent, 'DAY');
    expect(cents(data.store.revenue.total)).toBe(storeTruth.totalCents);
    expect(cents(data.store.revenue.total)).toBe(cents(before.store.revenue.total) + cents(order.total));
    expect(data.store.revenue.orders).toBe(before.store.revenue.orders + 1);
    expect({ total: cents(data.all.total), orders: data.all.orders }).toEqual({ total: allTruth.totalCents, orders: allTruth.orders });
    expect({ total: cents(data.one.total), orders: data.one.orders }).toEqual({ total: storeTruth.totalCents, orders: storeTruth.orders });
    expect(data.other.revenue.total).toBe(before.other.revenue.total);
  });
});

/**
 * Every family of the tag vocabulary (src/cache/tag-vocabulary.ts) read at once, with a
 * neighbour that must not be touched (another store, product or customer, closed days),
 * so a write's tiers show exactly which read tags it matched. HOT_PATH=false: each
 * response lists every cached field.
 */
describe('a write invalidates exactly the fields whose read tags it matches', () => {
  const EVERY_FAMILY = `query ($a: ID!, $b: ID!, $p: ID!, $q: ID!, $c: ID!, $d: ID!, $recent: DateRange!, $closed: DateRange!, $long: DateRange!) {
    a: store(id: $a) {
      revenue(range: $recent) { total }
      closed: revenue(range: $closed) { total }
      long: revenue(range: $long) { total }
      trafficPatterns(range: $recent) { hour }
      topProducts(range: $recent, limit: 3) { unitsSold }
      customerInsights(range: $recent) { newCustomers }
      funnel(range: $recent) { visits }
      inventory(first: 3) { onHand }
    }
    b: store(id: $b) { revenue(range: $recent) { total } funnel(range: $recent) { visits } customerInsights(range: $recent) { newCustomers } inventory(first: 3) { onHand } }
    all: revenueMetrics(range: $recent) { total }
    leaders: categoryLeaderboard(range: $recent, limit: 3) { revenue }
    p: product(id: $p) { performance(range: $recent) { unitsSold } inventory(storeId: $a) { onHand } }
    q: product(id: $q) { performance(range: $recent) { unitsSold } inventory(storeId: $b) { onHand } }
    stores(first: 2) { totalCount }
    c: customer(id: $c) { lifetimeValue }
    d: customer(id: $d) { lifetimeValue }
  }`;
  const untouched = {
    a: 'L1',
    'a.revenue': 'L1',
    'a.closed': 'L1',
    'a.long': 'L1',
    'a.trafficPatterns': 'L1',
    'a.topProducts': 'L1',
    'a.customerInsights': 'L1',
    'a.funnel': 'L1',
    'a.inventory': 'L1',
    b: 'L1',
    'b.revenue': 'L1',
    'b.funnel': 'L1',
    'b.customerInsights': 'L1',
    'b.inventory': 'L1',
    all: 'L1',
    leaders: 'L1',
    p: 'L1',
    'p.performance': 'L1',
    'p.inventory': 'L1',
    q: 'L1',
    'q.performance': 'L1',
    'q.inventory': 'L1',
    stores: 'L1',
    'c.lifetimeValue': 'L1',
    'd.lifetimeValue': 'L1',
  };
  let variables: Record<string, unknown>;

  beforeAll(async () => {
    const [p, q] = (await db.selectFrom('products').select('id').orderBy('id').limit(2).execute()).map((r) => String(r.id));
    const [c, d] = (await db.selectFrom('customers').select('id').orderBy('id').limit(2).execute()).map((r) => String(r.id));
    // recent and long include today (a write lands today); closed does not. long is tagged by month.
    variables = { a: String(stores[0]), b: String(stores[1]), p, q, c, d, recent: range(3, 0), closed: range(45, 40), long: range(70, 0) };
  });

  /** Reads every family twice: the second read must be all hits, so the next read's misses are the write's doing. */
  async function cachedEverything(): Promise<void> {
    const first = await fieldServer.request(EVERY_FAMILY, { variables });
    expect(first.body.errors).toBeUndefined();
    expect(tiersOf(await fieldServer.request(EVERY_FAMILY, { variables }))).toEqual(untouched);
  }

  it("recordOrder: its store's sales, customers and stock, the chain's sales, its product's sales and its customer", async () => {
    await cachedEverything();
    const input = { storeId: variables.a, customerId: variables.c, items: [{ productId: variables.p, quantity: 1 }] };
    dataOf(await fieldServer.request(`mutation ($input: OrderInput!) { recordOrder(input: $input) { id } }`, { variables: { input } }));
    const after = await fieldServer.request(EVERY_FAMILY, { variables });
    expect(after.body.errors).toBeUndefined();
    expect(tiersOf(after)).toEqual({
      ...untouched,
      'a.revenue': 'MISS', // store sales, today's day bucket
      'a.long': 'MISS', // store sales, this month's bucket
      'a.trafficPatterns': 'MISS',
      'a.topProducts': 'MISS',
      'a.customerInsights': 'MISS', // store customers
      'a.inventory': 'MISS', // store stock
      all: 'MISS', // chain-wide sales
      leaders: 'MISS',
      'p.performance': 'MISS', // the sold product's sales
      'p.inventory': 'MISS', // store stock, read by argument
      'c.lifetimeValue': 'MISS', // the customer's orders
    });
  });

  it("an ingestEvents batch: only its store's event fields, for the days it landed in", async () => {
    await cachedEverything();
    const event = {
      id: `tags-${randomBytes(6).toString('hex')}`,
      storeId: variables.a,
      type: 'VISIT',
      occurredAt: new Date().toISOString(),
      sessionId: 's-tags',
    };
    const ingested = dataOf(
      await fieldServer.request(`mutation ($events: [EventInput!]!) { ingestEvents(events: $events) { accepted } }`, {
        variables: { events: [event] },
      }),
    );
    expect(ingested.ingestEvents.accepted).toBe(1);
    const after = await fieldServer.request(EVERY_FAMILY, { variables });
    expect(after.body.errors).toBeUndefined();
    expect(tiersOf(after)).toEqual({ ...untouched, 'a.trafficPatterns': 'MISS', 'a.customerInsights': 'MISS', 'a.funnel': 'MISS' });
  });
});

describe.each(both)('scopes and errors (%s)', (_name, target) => {
  const METRICS = `query ($range: DateRange!) { revenueMetrics(range: $range) { total orders } }`;

  it("two store-scoped keys never see each other's PRIVATE entries", async () => {
    const s = target();
    const [s1, s2] = stores;
    const [key1, key2] = [await createKey(s, 'VIEWER', [s1]), await createKey(s, 'VIEWER', [s2])];
    const variables = { range: range(90, 80) };
    const truth1 = await revenueTruth(db, [s1], variables.range, 'DAY');
    const truth2 = await revenueTruth(db, [s2], variables.range, 'DAY');
    const truthAll = await revenueTruth(db, null, variables.range, 'DAY');
    expect(truth1.totalCents).not.toBe(truth2.totalCents);
    const totalOf = (response: GraphqlResponse<any>) => cents(dataOf(response).revenueMetrics.total);

    const first1 = await s.request(METRICS, { variables, key: key1 });
    expect([totalOf(first1), tiersOf(first1).revenueMetrics]).toEqual([truth1.totalCents, 'MISS']);
    // Key 2 asks after key 1 has cached: its own entry, its own total.
    const first2 = await s.request(METRICS, { variables, key: key2 });
    expect([totalOf(first2), tiersOf(first2).revenueMetrics]).toEqual([truth2.totalCents, 'MISS']);
    const admin = await s.request(METRICS, { variables });
    expect([totalOf(admin), tiersOf(admin).revenueMetrics]).toEqual([truthAll.totalCents, 'MISS']);
    // Each now hits its own entry.
    for (const [key, truth] of [
      [key1, truth1],
      [key2, truth2],
      [s.adminKey, truthAll],
    ] as const) {
      const again = await s.request(METRICS, { variables, key });
      expect(totalOf(again)).toBe(truth.totalCents);
      expect(servedFromCache(again, 'revenueMetrics')).toBe(true);
    }
  });

  it("a FORBIDDEN store(id) is not cached and does not poison the admin's entry, nor the other way round", async () => {
    const s = target();
    const [s1, s2, s3] = stores;
    const scoped = await createKey(s, 'VIEWER', [s1]);
    const STORE = `query ($id: ID!) { store(id: $id) { id name } }`;
    const name = async (id: number) => (await db.selectFrom('stores').select('name').where('id', '=', id).executeTakeFirstOrThrow()).name;

    // The scoped key first: refused, twice (the refusal was not stored as null).
    for (let i = 0; i < 2; i += 1) {
      const refused = await s.request(STORE, { variables: { id: String(s2) }, key: scoped });
      expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
      expect(refused.body.data?.store ?? null).toBeNull();
      expect(refused.headers.get('x-cache')).toBe('MISS');
    }
    expect(dataOf(await s.request(STORE, { variables: { id: String(s2) } })).store).toEqual({ id: String(s2), name: await name(s2) });

    // The admin first: cached for the admin, still refused to the scoped key.
    await s.request(STORE, { variables: { id: String(s3) } });
    expect(servedFromCache(await s.request(STORE, { variables: { id: String(s3) } }), 'store')).toBe(true);
    const refused = await s.request(STORE, { variables: { id: String(s3) }, key: scoped });
    expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
    expect(dataOf(await s.request(STORE, { variables: { id: String(s3) } })).store.name).toBe(await name(s3));
    // And the scoped key still reads its own store.
    expect(dataOf(await s.request(STORE, { variables: { id: String(s1) }, key: scoped })).store.id).toBe(String(s1));
  });

  it('a field that fails is not cached: the same request fails again', async () => {
    const s = target();
    const bad = { id: String(stores[0]), range: { from: utcDaysAgo(30), to: utcDaysAgo(40) } };
    for (let i = 0; i < 2; i += 1) {
      const response = await s.request(STORE_SALES, { variables: bad });
      expect(errorCodes(response).length).toBeGreaterThan(0);
      expect(errorCodes(response).every((code) => code === 'BAD_USER_INPUT')).toBe(true);
      expect(response.body.data?.store ?? null).toBeNull();
      expect(servedFromCache(response, 'store.revenue')).toBe(false);
    }
  });
});

describe('invalidateCache', () => {
  const INVALIDATE = `mutation ($tags: [String!]!) { invalidateCache(tags: $tags) }`;

  it('ADMIN gets the number of entries evicted (both tiers, each once); VIEWER gets FORBIDDEN', async () => {
    const s = fieldServer;
    const [s1, s2] = stores;
    const day = utcDaysAgo(100);
    const variables = (id: number) => ({ id: String(id), range: { from: day, to: day } });
    const tags = [`store:${s1}:sales:d:${day}`, `store:${s2}:sales:d:${day}`];
    const fill = async () => {
      for (const id of [s1, s2]) await s.request(STORE_SALES, { variables: variables(id) });
      await l2Settled(s);
    };
    /**
     * What carries the tags in L2: the field entries, and any whole-response (operation)
     * entry built from them. Each is in L1 too; an invalidation must count it once.
     */
    const taggedInL2 = async (names: string[]) => {
      const members = new Set<string>();
      for (const tag of names) for (const key of await redis!.smembers(`${fieldPrefix}t:${tag}`)) members.add(key);
      return { all: members.size, fields: [...members].filter((key) => /:Store\.(revenue|trafficPatterns):/.test(key)).length };
    };
    await fill(); // revenue + trafficPatterns of two stores: 4 field entries carry these tags

    let expected = { all: 4, fields: 4 };
    if (redis) {
      const tagKey = `${fieldPrefix}t:${tags[0]}`;
      expect(await redis.type(tagKey)).toBe('set');
      expect(await redis.pttl(tagKey)).toBeGreaterThan(0); // never without expiry
      expected = await taggedInL2(tags);
      expect(expected.fields).toBe(4);
    }

    const viewer = await createKey(s, 'VIEWER', null);
    const refused = await s.request(INVALIDATE, { variables: { tags }, key: viewer });
    expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
    expect(tiersOf(await s.request(STORE_SALES, { variables: variables(s1) }))['store.revenue']).toBe('L1');

    const evicted = await invalidate(s, tags);
    if (redis) expect(evicted).toBe(expected.all);
    else expect(evicted).toBeGreaterThanOrEqual(4);
    const after = await s.request(STORE_SALES, { variables: variables(s1) });
    // Gone from both tiers (a MISS, not an L2 hit); the store entry carries other tags and stays.
    expect(tiersOf(after)).toEqual({ store: 'L1', 'store.revenue': 'MISS', 'store.trafficPatterns': 'MISS' });
    await l2Settled(s);
    const again = redis ? (await taggedInL2([tags[0]])).all : 2;
    expect(await invalidate(s, [tags[0]])).toBe(again);
    expect(await invalidate(s, [tags[0]])).toBe(0);

    if (redis) {
      // Entries only in L2 (L1 emptied) are evicted and counted too.
      await fill();
      const inL2 = await taggedInL2(tags);
      expect(inL2.fields).toBe(4);
      s.app.services.cache.l1.clear();
      expect(await invalidate(s, tags)).toBe(inL2.all);
      expect(await redis.exists(`${fieldPrefix}t:${tags[0]}`, `${fieldPrefix}t:${tags[1]}`)).toBe(0);
      expect(tiersOf(await s.request(STORE_SALES, { variables: variables(s2) }))['store.revenue']).toBe('MISS');
    }
  });

  it('with the hot path on, invalidation also drops the stored responses built from those entries', async () => {
    await expectDayInvalidated(server, server, stores[0], utcDaysAgo(101));
  });
});

describe('stampede', () => {
  it("50 concurrent identical misses run the resolvers' SQL once", async () => {
    const s = fieldServer;
    const variables = { id: String(stores[2]), range: range(120, 110) };
    const stats = s.app.services.database.stats;
    const statementsOf = async (run: () => Promise<unknown>) => {
      await clearCache(s);
      const seen: string[] = [];
      const off = s.app.services.database.observe((e) => seen.push(e.query.sql.replace(/\s+/g, ' ').slice(0, 80)));
      const before = stats.queries;
      await run();
      off();
      if (process.env.DEBUG_SQL) console.log(seen.join('\n'));
      return stats.queries - before;
    };
    const one = await statementsOf(async () => {
      const response = await s.request(STORE_SALES, { variables });
      expect(cents(dataOf(response).store.revenue.total)).toBe((await revenueTruth(db, [stores[2]], variables.range, 'DAY')).totalCents);
      expect(tiersOf(response)).toEqual({ store: 'MISS', 'store.revenue': 'MISS', 'store.trafficPatterns': 'MISS' });
    });
    expect(one).toBeGreaterThan(0);
    let responses: Array<GraphqlResponse<any>> = [];
    const fifty = await statementsOf(async () => {
      responses = await Promise.all(Array.from({ length: 50 }, () => s.request(STORE_SALES, { variables })));
    });
    expect(fifty).toBe(one);

    const truth = await revenueTruth(db, [stores[2]], variables.range, 'DAY');
    for (const response of responses) expect(cents(dataOf(response).store.revenue.total)).toBe(truth.totalCents);
  });
});

describe('warmCache', () => {
  it('fills the entries a dashboard reads, so the dashboard is then a full HIT', async () => {
    // The server's schema is not exposed; an identical one wrapped with the server's cache
    // yields the same keys (same schema version, same field coordinates).
    const schema = await buildGraphqlSchema();
    composeFieldResolvers(schema, {
      cache: server.app.services.cache,
      schemaVersion: hashOf(printSchemaWithDirectives(schema)).slice(0, 8),
      timings: null,
    });
    const warmRange = range(150, 140);
    const result = await warmCache(schema, server.app.services, { storeIds: [stores[1]], ranges: [warmRange] });
    expect(result).toMatchObject({ stores: 1, ranges: 1 });
    expect(result.fieldsWarmed).toBeGreaterThan(5); // store(id) itself may be cached already

    const dashboard = await server.request(
      `query ($id: ID!, $range: DateRange!) {
        store(id: $id) {
          name revenue(range: $range) { total } trafficPatterns(range: $range) { hour } topProducts(range: $range) { revenue }
          customerInsights(range: $range) { newCustomers } inventory { onHand }
        }
        revenueMetrics(range: $range) { total }
        categoryLeaderboard(range: $range) { revenue }
      }`,
      { variables: { id: String(stores[1]), range: warmRange } },
    );
    expect(dashboard.body.errors).toBeUndefined();
    expect(
      reportOf(dashboard)
        ?.fields.filter((f) => f.tier === 'MISS')
        .map((f) => f.path),
    ).toEqual([]);
    expect(reportOf(dashboard)).toMatchObject({ hits: 8, misses: 0 });
    expect(dashboard.headers.get('x-cache')).toBe('HIT');
    const truth = await revenueTruth(db, [stores[1]], warmRange, 'DAY');
    expect(cents(dataOf(dashboard).store.revenue.total)).toBe(truth.totalCents);

    const again = await warmCache(schema, server.app.services, { storeIds: [stores[1]], ranges: [warmRange] });
    expect(again).toMatchObject({ fieldsWarmed: 0 });
    expect(again.alreadyCached).toBe(result.fieldsWarmed + result.alreadyCached);
  });
});
