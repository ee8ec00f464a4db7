import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Cluster, Redis } from 'ioredis';
import { createLogger } from '../src/logger.js';
import { createFastRedis, masterNodes } from '../src/redis.js';
import { MemoryStore } from '../src/cache/memory-store.js';
import { RedisStore } from '../src/cache/redis-store.js';
import { TieredCache, type FetchOptions } from '../src/cache/tiered-cache.js';
import { invalidate, STORE_SALES, tiersOf } from './helpers/cache-probe.js';
import { utcDaysAgo } from './helpers/dates.js';
import { dataOf } from './helpers/graphql-client.js';
import { skipWithoutRedisCluster, startRedisCluster, type RedisCluster } from './helpers/redis-cluster.js';
import { cents, revenueTruth } from './helpers/sql-truth.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * The cache on a real Redis Cluster (3 masters + 3 replicas): entries spread over the
 * shards, tag sets and versions on their tags' slots, locks on their entries' slots; two
 * API instances sharing it; and the race a cluster makes possible (an entry written after
 * an invalidation of one of its tags) closed by tag versions.
 */

const noCluster = skipWithoutRedisCluster('cache-redis-cluster');
const logger = createLogger('silent');

let cluster: RedisCluster;
let probe: Cluster;
let a: TestServer;
let b: TestServer;
let prefix: string;
let stores: number[];
let productId: number;
const connections: Cluster[] = [];

/** Every key under a pattern, over every master (each holds part of the keyspace), with the master's port. */
async function keysOnMasters(pattern: string): Promise<Array<{ port: number; key: string }>> {
  const found: Array<{ port: number; key: string }> = [];
  for (const node of masterNodes(probe)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) found.push({ port: node.options.port!, key });
    } while (cursor !== '0');
  }
  return found;
}

async function clusterClient(): Promise<Cluster> {
  // Generous timeouts: on a loaded two-core box a 250 ms command timeout would open these stores' breakers.
  const client = createFastRedis(cluster.url, logger, 'cache-cluster-test', { commandTimeout: 3_000, socketTimeout: 3_000 }) as Cluster;
  connections.push(client);
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
  return client;
}

/** A TieredCache on the cluster (no bus: the L2 rules alone are under test), usable once its breaker has closed. */
async function tieredOnCluster(cachePrefix: string): Promise<TieredCache> {
  const l2 = new RedisStore(await clusterClient(), cachePrefix, logger);
  await waitFor(() => l2.usable, { what: 'the cluster store to be usable' });
  // A long hedge: these tests are about L2's rules, not about going on without a slow Redis.
  return new TieredCache(new MemoryStore(1_000_000), l2, null, logger, { hedgeMs: 3_000 });
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const options = (tags: string[]): FetchOptions => ({ field: 'Test.field', ttlSeconds: 60, swrSeconds: 0, tags: () => tags });

describe.skipIf(noCluster)('the cache on a Redis Cluster (3 masters, 3 replicas)', () => {
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    probe = await clusterClient();
    prefix = `ccl-${randomBytes(4).toString('hex')}:`;
    const env = { REDIS_URL: cluster.url, REDIS_PREFIX: prefix };
    a = await startTestServer({ env });
    b = await startTestServer({ env, databaseUrl: a.databaseUrl });
    const db = a.app.services.database.db;
    stores = (await db.selectFrom('stores').select('id').orderBy('id').execute()).map((r) => r.id);
    productId = (await db.selectFrom('products').select('id').orderBy('id').limit(1).executeTakeFirstOrThrow()).id;
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    for (const client of connections) client.disconnect();
    await cluster?.stop();
  });

  it('an entry computed by one instance is an L2 hit on the other; entries spread over every master', async () => {
    for (const storeId of [stores[0], stores[2]]) {
      await a.request(STORE_SALES, { variables: { id: String(storeId), range: { from: utcDaysAgo(60), to: utcDaysAgo(55) } } });
    }
    const variables = { id: String(stores[1]), range: { from: utcDaysAgo(40), to: utcDaysAgo(33) } };
    const onA = await a.request(STORE_SALES, { variables });
    expect(tiersOf(onA)).toMatchObject({ 'store.revenue': 'MISS', 'store.trafficPatterns': 'MISS' });
    // A's L2 writes are not awaited by its request, and go to several shards: wait until they are all there.
    await waitFor(async () => (await keysOnMasters(`${prefix}c:*Store.trafficPatterns:${stores[1]}:*`)).length > 0, {
      what: "A's entries in L2",
    });
    await waitFor(async () => (await keysOnMasters(`${prefix}c:*Store.revenue:${stores[1]}:*`)).length > 0, { what: "A's entries in L2" });
    const onB = await b.request(STORE_SALES, { variables });
    expect(tiersOf(onB)).toMatchObject({ 'store.revenue': 'L2', 'store.trafficPatterns': 'L2' });
    expect(onB.body.data).toEqual(onA.body.data);

    // Not one shard for the whole cache: entries on every master, tag sets and versions too.
    const entries = await keysOnMasters(`${prefix}c:*`);
    expect(new Set(entries.map((e) => e.port)).size).toBeGreaterThan(1);
    const tagSets = await keysOnMasters(`${prefix}t:*`);
    expect(new Set(tagSets.map((e) => e.port)).size).toBeGreaterThan(1);
  });

  it('each key shares its slot with what is used with it: entry and lock, tag set and version', async () => {
    const store = a.app.services.cache.l2!;
    const key = 'v1:Store.revenue:1:{"range":{"from":"2026-01-01","to":"2026-01-07"}}:pub';
    expect(await cluster.keySlot(store.keys.lock(key))).toBe(await cluster.keySlot(store.keys.entry(key)));
    expect(await cluster.keySlot(store.keys.tagVersion('store:1:sales:d:2026-01-01'))).toBe(
      await cluster.keySlot(store.keys.tagSet('store:1:sales:d:2026-01-01')),
    );
    // Different keys land on different slots (the args' braces do not become the hash tag).
    const slots = new Set(await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((k) => cluster.keySlot(store.keys.entry(`${k}:{"x":1}`)))));
    expect(slots.size).toBeGreaterThan(1);
  });

  it('read through B (cached), write through A, read on B is fresh and equals SQL', async () => {
    const storeId = stores[0];
    const variables = { id: String(storeId), range: { from: utcDaysAgo(6), to: utcDaysAgo(0) } };
    const before = dataOf(await b.request(STORE_SALES, { variables }));
    expect((await b.request(STORE_SALES, { variables })).headers.get('x-cache')).toBe('HIT');
    const order = dataOf(
      await a.request(`mutation ($input: OrderInput!) { recordOrder(input: $input) { id total } }`, {
        variables: { input: { storeId: String(storeId), items: [{ productId: String(productId), quantity: 2 }] } },
      }),
    ).recordOrder;
    // B heard the invalidation over (sharded) pub/sub: nothing stale in its L1, nor in L2.
    const after = await waitFor(
      async () => {
        const response = await b.request(STORE_SALES, { variables });
        return response.headers.get('x-cache') === 'MISS' ? response : false;
      },
      { what: "B's next read to miss" },
    );
    const revenue = dataOf(after).store.revenue;
    const truth = await revenueTruth(b.app.services.database.db, [storeId], variables.range, 'DAY');
    expect({ total: cents(revenue.total), orders: revenue.orders }).toEqual({ total: truth.totalCents, orders: truth.orders });
    expect(cents(revenue.total)).toBe(cents(before.store.revenue.total) + cents(order.total));
    expect(dataOf(await a.request(STORE_SALES, { variables })).store.revenue.total).toBe(revenue.total);
  });

  it("invalidateCache on A evicts what B cached, in L2 and in B's L1 (the hot path's stored response too)", async () => {
    const day = utcDaysAgo(45);
    const variables = { id: String(stores[2]), range: { from: day, to: day } };
    await b.request(STORE_SALES, { variables });
    expect((await b.request(STORE_SALES, { variables })).headers.get('x-cache')).toBe('HIT');
    // The count: what A's L1 and L2 held (L2's is known when Redis answered within REDIS_HEDGE_MS: on a loaded box it may not).
    const evicted = await invalidate(a, [`store:${stores[2]}:sales:d:${day}`]);
    expect(evicted).toBeGreaterThanOrEqual(0);
    // Gone from L2 at once (A's invalidation answered before its mutation did, or was remembered and is replayed).
    await waitFor(async () => (await keysOnMasters(`${prefix}t:{store:${stores[2]}:sales:d:${day}}`)).length === 0, {
      what: 'the tag set deleted',
    });
    const after = await waitFor(
      async () => {
        const response = await b.request(STORE_SALES, { variables });
        return response.headers.get('x-cache') === 'MISS' ? response : false;
      },
      { what: "B's next read to miss" },
    );
    expect(tiersOf(after)).toMatchObject({ 'store.revenue': 'MISS', 'store.trafficPatterns': 'MISS' });
  });

  it('invalidateCache(all: true) bumps the generation once; both instances miss afterwards', async () => {
    const onA = { id: String(stores[0]), range: { from: utcDaysAgo(20), to: utcDaysAgo(14) } };
    const onB = { id: String(stores[1]), range: { from: utcDaysAgo(20), to: utcDaysAgo(14) } };
    for (const [server, variables] of [
      [a, onA],
      [b, onB],
    ] as const) {
      await server.request(STORE_SALES, { variables });
      await waitFor(async () => (await server.request(STORE_SALES, { variables })).headers.get('x-cache') === 'HIT', {
        what: 'a stored response',
      });
    }
    const before = a.app.services.cache.currentGeneration;
    dataOf(await a.request(`mutation { invalidateCache(all: true) }`));
    expect(a.app.services.cache.currentGeneration).toBe(before + 1);
    await waitFor(() => b.app.services.cache.currentGeneration === before + 1, { what: "B's generation to move on" });
    expect(Number(await probe.get(`${prefix}generation`))).toBe(before + 1);
    // Each misses on what it had cached (L1 dropped, older L2 entries no longer read).
    expect(tiersOf(await a.request(STORE_SALES, { variables: onA }))['store.revenue']).toBe('MISS');
    expect(tiersOf(await b.request(STORE_SALES, { variables: onB }))['store.revenue']).toBe('MISS');
  });

  it('a computation that started before an invalidation is never served after it, though it is written after it', async () => {
    const cachePrefix = `race-${randomBytes(4).toString('hex')}:`;
    const [writer, reader, late] = await Promise.all([
      tieredOnCluster(cachePrefix),
      tieredOnCluster(cachePrefix),
      tieredOnCluster(cachePrefix),
    ]);
    const tags = ['store:7:sales:d:2026-01-02', 'field:Store.revenue'];
    // The writer's computation reads "the database" (value v1) and is held before it returns.
    const gate = deferred<string>();
    let computeStarted = false;
    const slow = writer.fetch('k-race', options(tags), async () => {
      computeStarted = true;
      return gate.promise;
    });
    await waitFor(() => computeStarted, { what: 'the computation to start' });
    // Meanwhile another instance commits a write and invalidates the tag (this instance hears nothing: no bus).
    await reader.invalidate(['store:7:sales:d:2026-01-02']);
    // The held computation finishes with the value it read before the write, and stores it in L1 and L2.
    gate.resolve('v1 (before the write)');
    expect((await slow).value).toBe('v1 (before the write)');
    const l2 = (writer as unknown as { l2: RedisStore }).l2;
    await waitFor(async () => (await keysOnMasters(`${cachePrefix}c:*k-race`)).length === 1, { what: 'the late write to reach L2' });
    // It is in Redis, but never served from there: its stamp names the tag's old version.
    expect(await l2.get('k-race')).toBeUndefined();
    // An instance that knows nothing of the invalidation (no bus, no local memory of it) misses too.
    expect(await late.fetch('k-race', options(tags), async () => 'v2 (after the write)')).toMatchObject({
      value: 'v2 (after the write)',
      outcome: { tier: 'MISS' },
    });
    expect((await reader.fetch('k-race', options(tags), async () => 'v2 (after the write)')).value).toBe('v2 (after the write)');
    // A value computed after the invalidation is stamped with the new version and served from L2.
    await waitFor(async () => (await l2.get('k-race'))?.value === 'v2 (after the write)', { what: 'the fresh entry in L2' });
  });

  it('concurrent misses on two instances: the lock (on the entry slot) makes the second wait for the first value', async () => {
    const cachePrefix = `lock-${randomBytes(4).toString('hex')}:`;
    const [one, two] = await Promise.all([tieredOnCluster(cachePrefix), tieredOnCluster(cachePrefix)]);
    const gate = deferred<string>();
    let calls = 0;
    const first = one.fetch('k-lock', options(['t-lock']), () => {
      calls += 1;
      return gate.promise;
    });
    await waitFor(() => calls === 1, { what: 'the first computation' });
    const second = two.fetch('k-lock', options(['t-lock']), async () => {
      calls += 1;
      return 'computed twice';
    });
    setTimeout(() => gate.resolve('computed once'), 200);
    expect((await first).value).toBe('computed once');
    expect(await second).toMatchObject({ value: 'computed once', outcome: { tier: 'L2' } });
    expect(calls).toBe(1);
  });

  it('a tag invalidation removes its entries from every shard and counts them', async () => {
    const cachePrefix = `inv-${randomBytes(4).toString('hex')}:`;
    const [one, two] = await Promise.all([tieredOnCluster(cachePrefix), tieredOnCluster(cachePrefix)]);
    const keys = Array.from({ length: 12 }, (_, i) => `k-inv-${i}`);
    for (const key of keys) await one.fetch(key, options(['shared-tag', `own-${key}`]), async () => key);
    await waitFor(async () => (await keysOnMasters(`${cachePrefix}c:*`)).length === keys.length, { what: 'the entries in L2' });
    expect(new Set((await keysOnMasters(`${cachePrefix}c:*`)).map((e) => e.port)).size).toBeGreaterThan(1);
    // Instance two never read them: what it counts came from the tag set.
    expect(await two.invalidate(['shared-tag'])).toBe(keys.length);
    expect(await keysOnMasters(`${cachePrefix}c:*`)).toEqual([]);
    expect(await keysOnMasters(`${cachePrefix}t:{shared-tag}`)).toEqual([]);
    expect(await keysOnMasters(`${cachePrefix}v:{shared-tag}`)).toHaveLength(1);
  });

  it('the hot path serves a stored response from the cluster, and a write makes the next response fresh on both instances', async () => {
    const variables = { id: String(stores.at(-1)), range: { from: utcDaysAgo(3), to: utcDaysAgo(0) } };
    await a.request(STORE_SALES, { variables });
    const hit = await a.request(STORE_SALES, { variables });
    expect(hit.headers.get('x-cache')).toBe('HIT');
    // B finds the stored response (built on A) in L2 once A's write reached it.
    await waitFor(async () => (await keysOnMasters(`${prefix}c:*op:*`)).length > 0, { what: 'operation entries in L2' });
    await b.request(STORE_SALES, { variables });
    expect((await b.request(STORE_SALES, { variables })).headers.get('x-cache')).toBe('HIT');
    await a.request(`mutation ($input: OrderInput!) { recordOrder(input: $input) { id } }`, {
      variables: { input: { storeId: variables.id, items: [{ productId: String(productId), quantity: 1 }] } },
    });
    const truth = await revenueTruth(a.app.services.database.db, [Number(variables.id)], variables.range, 'DAY');
    for (const server of [a, b]) {
      await waitFor(async () => cents(dataOf(await server.request(STORE_SALES, { variables })).store.revenue.total) === truth.totalCents, {
        what: 'a fresh answer equal to SQL',
      });
    }
  });
});

/** The same race on one Redis server: there the write itself checks the stamp (one script), and reads stay a plain GET. */
const redisUrl = inject('redisUrl');
describe.skipIf(!redisUrl)('the same race on one Redis server', () => {
  const clients: Redis[] = [];
  afterAll(() => {
    for (const client of clients) client.disconnect();
  });

  async function tieredOnServer(cachePrefix: string): Promise<{ cache: TieredCache; redis: Redis }> {
    const redis = createFastRedis(redisUrl!, logger, 'cache-single-test', { commandTimeout: 3_000, socketTimeout: 3_000 }) as Redis;
    clients.push(redis);
    const l2 = new RedisStore(redis, cachePrefix, logger);
    await waitFor(() => l2.usable, { what: 'the store to be usable' });
    return { cache: new TieredCache(new MemoryStore(1_000_000), l2, null, logger, { hedgeMs: 3_000 }), redis };
  }

  it('a computation that started before an invalidation is not written to L2 after it', async () => {
    const cachePrefix = `race1-${randomBytes(4).toString('hex')}:`;
    const [writer, reader, late] = await Promise.all([
      tieredOnServer(cachePrefix),
      tieredOnServer(cachePrefix),
      tieredOnServer(cachePrefix),
    ]);
    const tags = ['store:7:sales:d:2026-01-02', 'field:Store.revenue'];
    const gate = deferred<string>();
    let computeStarted = false;
    const slow = writer.cache.fetch('k-race', options(tags), async () => {
      computeStarted = true;
      return gate.promise;
    });
    await waitFor(() => computeStarted, { what: 'the computation to start' });
    await reader.cache.invalidate(['store:7:sales:d:2026-01-02']);
    gate.resolve('v1 (before the write)');
    expect((await slow).value).toBe('v1 (before the write)');
    // The write script saw the new version and wrote nothing (a round trip on the same connection: the script has run).
    await writer.redis.ping();
    expect(await writer.redis.exists(`${cachePrefix}c:k-race`)).toBe(0);
    expect(await late.cache.fetch('k-race', options(tags), async () => 'v2 (after the write)')).toMatchObject({
      value: 'v2 (after the write)',
      outcome: { tier: 'MISS' },
    });
    await late.redis.ping();
    expect(await late.redis.exists(`${cachePrefix}c:k-race`)).toBe(1);
  });
});
