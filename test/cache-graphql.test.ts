import { randomBytes } from 'node:crypto';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyCachedFields, hashOf } from '../src/cache/cached-field.js';
import { warmCache } from '../src/cache/warm-cache.js';
import type { Db } from '../src/db/database.js';
import { buildGraphqlSchema } from '../src/schema/build-schema.js';
import { utcDaysAgo } from './helpers/dates.js';
import { dataOf, type GraphqlResponse } from './helpers/graphql-client.js';
import { skipWithoutRedis } from './helpers/redis-server.js';
import { cents, revenueTruth } from './helpers/sql-truth.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/**
 * @cached through the real server (L1 + the test Redis as L2 when there is one): what
 * responses say the cache did, freshness after writes, scopes, errors, invalidation,
 * single flight and warming. Each test uses its own date range so their entries do not meet.
 */

const redisUrl = inject('redisUrl');
const noRedis = skipWithoutRedis(Boolean(redisUrl), 'cache-graphql (L2 assertions)');
const prefix = `cgql-${randomBytes(4).toString('hex')}:`;

let server: TestServer;
let db: Db;
let redis: Redis | null = null;
let stores: number[];
let productId: number;

interface CacheField {
  path: string;
  tier: 'L1' | 'L2' | 'MISS';
  age: number;
  stale: boolean;
}
interface CacheReport {
  hits: number;
  misses: number;
  fields: CacheField[];
}

function reportOf(response: GraphqlResponse<unknown>): CacheReport | undefined {
  return response.body.extensions?.cache as CacheReport | undefined;
}

/** path → tier of every cached field of a response. */
function tiersOf(response: GraphqlResponse<unknown>): Record<string, string> {
  return Object.fromEntries((reportOf(response)?.fields ?? []).map((f) => [f.path, f.tier]));
}

function errorCodes(response: GraphqlResponse<unknown>): unknown[] {
  return (response.body.errors ?? []).map((e) => e.extensions?.code);
}

const range = (fromDaysAgo: number, toDaysAgo: number) => ({ from: utcDaysAgo(fromDaysAgo), to: utcDaysAgo(toDaysAgo) });

async function createKey(role: 'VIEWER' | 'ADMIN' | 'INGEST', storeIds: number[] | null): Promise<string> {
  const response = await server.request(
    `mutation ($name: String!, $role: Role!, $storeIds: [ID!]) { createApiKey(name: $name, role: $role, storeIds: $storeIds) { key } }`,
    { variables: { name: `cache ${role} ${storeIds ?? 'all'}`, role, storeIds: storeIds?.map(String) ?? null } },
  );
  return dataOf(response).createApiKey.key as string;
}

async function clearCache(): Promise<void> {
  server.app.services.cache.l1.clear();
  await server.app.services.cache.l2?.clear();
}

beforeAll(async () => {
  server = await startTestServer({ env: noRedis ? {} : { REDIS_URL: redisUrl, REDIS_PREFIX: prefix } });
  db = server.app.services.database.db;
  if (!noRedis) redis = new Redis(redisUrl);
  stores = (await db.selectFrom('stores').select('id').orderBy('id').execute()).map((r) => r.id);
  expect(stores.length).toBeGreaterThanOrEqual(3);
  productId = (await db.selectFrom('products').select('id').orderBy('id').limit(1).executeTakeFirstOrThrow()).id;
  await server.request('{ categories { id } }'); // the admin key is looked up once, before anything counts statements
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

const STORE_SALES = `query ($id: ID!, $range: DateRange!) {
  store(id: $id) { id revenue(range: $range) { total orders } trafficPatterns(range: $range) { hour orders } }
}`;

describe('what the cache did: extensions.cache and X-Cache', () => {
  it('a first read misses, a repeat hits; X-Cache is HIT only when every cached field hit', async () => {
    const variables = { id: String(stores[0]), range: range(60, 55) };
    const truth = await revenueTruth(db, [stores[0]], variables.range, 'DAY');

    const first = await server.request(STORE_SALES, { variables });
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

    const second = await server.request(STORE_SALES, { variables });
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(reportOf(second)).toMatchObject({ hits: 3, misses: 0 });
    expect(tiersOf(second)).toEqual({ store: 'L1', 'store.revenue': 'L1', 'store.trafficPatterns': 'L1' });
    expect(reportOf(second)!.fields.every((f) => f.age === 0 && f.stale === false)).toBe(true);
    expect(second.body.data).toEqual(first.body.data);

    // One cached field more: the others hit, that one misses, so the response is a MISS.
    const partial = await server.request(
      `query ($id: ID!, $range: DateRange!) {
        store(id: $id) { revenue(range: $range) { total } trafficPatterns(range: $range) { hour } topProducts(range: $range) { revenue } }
      }`,
      { variables },
    );
    expect(partial.headers.get('x-cache')).toBe('MISS');
    expect(tiersOf(partial)).toEqual({ store: 'L1', 'store.revenue': 'L1', 'store.trafficPatterns': 'L1', 'store.topProducts': 'MISS' });
    expect(reportOf(partial)).toMatchObject({ hits: 3, misses: 1 });

    // No cached field at all: MISS and no report.
    const plain = await server.request('{ stores(first: 2) { edges { node { id name } } } }');
    expect(plain.headers.get('x-cache')).toBe('MISS');
    expect(reportOf(plain)).toBeUndefined();

    // The age grows in whole seconds.
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    const older = await server.request(STORE_SALES, { variables });
    expect(reportOf(older)!.fields.map((f) => f.age)).toEqual([1, 1, 1]);
    expect(older.headers.get('x-cache')).toBe('HIT');
  });

  it.skipIf(noRedis)('with L1 emptied the entries come from L2 (still a HIT), then from L1 again', async () => {
    const variables = { id: String(stores[1]), range: range(62, 58) };
    await server.request(STORE_SALES, { variables });
    server.app.services.cache.l1.clear();
    const fromL2 = await server.request(STORE_SALES, { variables });
    expect(tiersOf(fromL2)).toEqual({ store: 'L2', 'store.revenue': 'L2', 'store.trafficPatterns': 'L2' });
    expect(fromL2.headers.get('x-cache')).toBe('HIT');
    const fromL1 = await server.request(STORE_SALES, { variables });
    expect(tiersOf(fromL1)).toEqual({ store: 'L1', 'store.revenue': 'L1', 'store.trafficPatterns': 'L1' });
    expect(fromL1.body.data).toEqual(fromL2.body.data);
  });
});

describe('freshness after writes', () => {
  it('after recordOrder the totals it touches are fresh and equal SQL; the others stay cached', async () => {
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
    const before = dataOf(await server.request(query, { variables }));
    const cached = await server.request(query, { variables });
    expect(cached.headers.get('x-cache')).toBe('HIT');

    const order = dataOf(
      await server.request(`mutation ($input: OrderInput!) { recordOrder(input: $input) { id total } }`, {
        variables: { input: { storeId: String(storeId), items: [{ productId: String(productId), quantity: 3 }] } },
      }),
    ).recordOrder;
    expect(order.total).toBeGreaterThan(0);

    const after = await server.request(query, { variables });
    const data = dataOf(after);
    expect(tiersOf(after)).toEqual({
      store: 'L1', // the store itself did not change
      'store.revenue': 'MISS',
      'store.closedDays': 'L1', // closed days are not touched by today's order
      other: 'L1',
      'other.revenue': 'L1', // another store's sales are not touched
      all: 'MISS',
      one: 'MISS',
    });
    const storeTruth = await revenueTruth(db, [storeId], recent, 'DAY');
    const allTruth = await revenueTruth(db, null, recent, 'DAY');
    expect(cents(data.store.revenue.total)).toBe(storeTruth.totalCents);
    expect(cents(data.store.revenue.total)).toBe(cents(before.store.revenue.total) + cents(order.total));
    expect(data.store.revenue.orders).toBe(before.store.revenue.orders + 1);
    expect({ total: cents(data.all.total), orders: data.all.orders }).toEqual({ total: allTruth.totalCents, orders: allTruth.orders });
    expect({ total: cents(data.one.total), orders: data.one.orders }).toEqual({ total: storeTruth.totalCents, orders: storeTruth.orders });
    expect(data.other.revenue.total).toBe(before.other.revenue.total);
  });
});

describe('scopes and errors', () => {
  const METRICS = `query ($range: DateRange!) { revenueMetrics(range: $range) { total orders } }`;

  it('two store-scoped keys never see each other\'s PRIVATE entries', async () => {
    const [s1, s2] = stores;
    const [key1, key2] = [await createKey('VIEWER', [s1]), await createKey('VIEWER', [s2])];
    const variables = { range: range(90, 80) };
    const truth1 = await revenueTruth(db, [s1], variables.range, 'DAY');
    const truth2 = await revenueTruth(db, [s2], variables.range, 'DAY');
    const truthAll = await revenueTruth(db, null, variables.range, 'DAY');
    expect(truth1.totalCents).not.toBe(truth2.totalCents);
    const totalOf = (response: GraphqlResponse<any>) => cents(dataOf(response).revenueMetrics.total);

    const first1 = await server.request(METRICS, { variables, key: key1 });
    expect([totalOf(first1), tiersOf(first1).revenueMetrics]).toEqual([truth1.totalCents, 'MISS']);
    // Key 2 asks after key 1 has cached: its own entry, its own total.
    const first2 = await server.request(METRICS, { variables, key: key2 });
    expect([totalOf(first2), tiersOf(first2).revenueMetrics]).toEqual([truth2.totalCents, 'MISS']);
    const admin = await server.request(METRICS, { variables });
    expect([totalOf(admin), tiersOf(admin).revenueMetrics]).toEqual([truthAll.totalCents, 'MISS']);
    // Each now hits its own entry.
    const again1 = await server.request(METRICS, { variables, key: key1 });
    const again2 = await server.request(METRICS, { variables, key: key2 });
    expect([totalOf(again1), tiersOf(again1).revenueMetrics]).toEqual([truth1.totalCents, 'L1']);
    expect([totalOf(again2), tiersOf(again2).revenueMetrics]).toEqual([truth2.totalCents, 'L1']);
  });

  it('a FORBIDDEN store(id) is not cached and does not poison the admin\'s entry, nor the other way round', async () => {
    const [s1, s2, s3] = stores;
    const scoped = await createKey('VIEWER', [s1]);
    const STORE = `query ($id: ID!) { store(id: $id) { id name } }`;
    const name = async (id: number) => (await db.selectFrom('stores').select('name').where('id', '=', id).executeTakeFirstOrThrow()).name;

    // The scoped key first: refused, twice (the refusal was not stored as null).
    for (let i = 0; i < 2; i += 1) {
      const refused = await server.request(STORE, { variables: { id: String(s2) }, key: scoped });
      expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
      expect(refused.body.data?.store ?? null).toBeNull();
    }
    const admin = await server.request(STORE, { variables: { id: String(s2) } });
    expect(dataOf(admin).store).toEqual({ id: String(s2), name: await name(s2) });
    expect(tiersOf(admin).store).toBe('MISS');

    // The admin first: cached for the admin, still refused to the scoped key.
    await server.request(STORE, { variables: { id: String(s3) } });
    const adminHit = await server.request(STORE, { variables: { id: String(s3) } });
    expect(tiersOf(adminHit).store).toBe('L1');
    const refused = await server.request(STORE, { variables: { id: String(s3) }, key: scoped });
    expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
    expect(dataOf(await server.request(STORE, { variables: { id: String(s3) } })).store.name).toBe(await name(s3));
    // And the scoped key still reads its own store.
    expect(dataOf(await server.request(STORE, { variables: { id: String(s1) }, key: scoped })).store.id).toBe(String(s1));
  });

  it('a field that fails is not cached: the same request fails again, then a good one misses once', async () => {
    const bad = { id: String(stores[0]), range: { from: utcDaysAgo(30), to: utcDaysAgo(40) } };
    for (let i = 0; i < 2; i += 1) {
      const response = await server.request(STORE_SALES, { variables: bad });
      expect(errorCodes(response)).toContain('BAD_USER_INPUT');
      expect(response.headers.get('x-cache')).toBe('MISS');
      expect(tiersOf(response)['store.revenue']).toBeUndefined();
    }
  });
});

describe('invalidateCache', () => {
  it('ADMIN gets the number of entries evicted (both tiers, each once); VIEWER gets FORBIDDEN', async () => {
    const [s1, s2] = stores;
    const day = utcDaysAgo(100);
    const variables = (id: number) => ({ id: String(id), range: { from: day, to: day } });
    const tags = [`store:${s1}:sales:d:${day}`, `store:${s2}:sales:d:${day}`];
    const INVALIDATE = `mutation ($tags: [String!]!) { invalidateCache(tags: $tags) }`;
    const fill = async () => {
      for (const id of [s1, s2]) await server.request(STORE_SALES, { variables: variables(id) });
    };
    await fill(); // revenue + trafficPatterns of two stores: 4 entries carry these tags

    if (redis) {
      const tagKey = `${prefix}t:${tags[0]}`;
      expect(await redis.type(tagKey)).toBe('set');
      expect(await redis.scard(tagKey)).toBe(2);
      expect(await redis.pttl(tagKey)).toBeGreaterThan(0); // never without expiry
    }

    const viewer = await createKey('VIEWER', null);
    const refused = await server.request(INVALIDATE, { variables: { tags }, key: viewer });
    expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
    expect(tiersOf(await server.request(STORE_SALES, { variables: variables(s1) }))['store.revenue']).toBe('L1');

    expect(dataOf(await server.request(INVALIDATE, { variables: { tags } })).invalidateCache).toBe(4);
    const after = await server.request(STORE_SALES, { variables: variables(s1) });
    // Gone from both tiers (a MISS, not an L2 hit); the store entry carries other tags and stays.
    expect(tiersOf(after)).toEqual({ store: 'L1', 'store.revenue': 'MISS', 'store.trafficPatterns': 'MISS' });
    expect(dataOf(await server.request(INVALIDATE, { variables: { tags: [tags[1]] } })).invalidateCache).toBe(2);
    expect(dataOf(await server.request(INVALIDATE, { variables: { tags: [tags[1]] } })).invalidateCache).toBe(0);

    if (redis) {
      // Entries only in L2 (L1 emptied) are evicted and counted too.
      await fill();
      await new Promise((resolve) => setTimeout(resolve, 50)); // L2 writes are not awaited by the request
      server.app.services.cache.l1.clear();
      expect(dataOf(await server.request(INVALIDATE, { variables: { tags } })).invalidateCache).toBe(4);
      expect(await redis.exists(`${prefix}t:${tags[0]}`, `${prefix}t:${tags[1]}`)).toBe(0);
    }
  });
});

describe('stampede', () => {
  it('50 concurrent identical misses run the resolver\'s SQL once', async () => {
    const variables = { id: String(stores[2]), range: range(120, 110) };
    const stats = server.app.services.database.stats;
    const statementsOf = async (run: () => Promise<unknown>) => {
      await clearCache();
      const before = stats.queries;
      await run();
      return stats.queries - before;
    };
    const one = await statementsOf(() => server.request(STORE_SALES, { variables }));
    expect(one).toBeGreaterThan(0);
    let responses: Array<GraphqlResponse<any>> = [];
    const fifty = await statementsOf(async () => {
      responses = await Promise.all(Array.from({ length: 50 }, () => server.request(STORE_SALES, { variables })));
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
    applyCachedFields(schema, server.app.services.cache, hashOf(printSchemaWithDirectives(schema)).slice(0, 8));
    const warmRange = range(150, 140);
    const result = await warmCache(schema, server.app.services, { storeIds: [stores[1]], ranges: [warmRange] });
    expect(result).toMatchObject({ stores: 1, ranges: 1, alreadyCached: 0 });
    expect(result.fieldsWarmed).toBeGreaterThan(5);

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
    expect(dashboard.headers.get('x-cache')).toBe('HIT');
    expect(reportOf(dashboard)).toMatchObject({ hits: 8, misses: 0 });
    const truth = await revenueTruth(db, [stores[1]], warmRange, 'DAY');
    expect(cents(dataOf(dashboard).store.revenue.total)).toBe(truth.totalCents);

    const again = await warmCache(schema, server.app.services, { storeIds: [stores[1]], ranges: [warmRange] });
    expect(again).toMatchObject({ fieldsWarmed: 0 });
    expect(again.alreadyCached).toBe(result.fieldsWarmed);
  });
});
