import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/database.js';
import { utcDaysAgo } from './helpers/dates.js';
import { dataOf, type GraphqlResponse } from './helpers/graphql-client.js';
import { redisServerInstalled, skipWithoutRedis, startRedisServer, type RedisServerProcess } from './helpers/redis-server.js';
import { cents, revenueTruth } from './helpers/sql-truth.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * Redis dies (SIGKILL) or hangs (SIGSTOP) under a running server, then comes back on the
 * same port. Every request is still answered correctly and without waiting on Redis
 * (each well under a second: the cache connection's command timeout is 250 ms), the
 * breaker opens and /readyz says degraded with status 200; once Redis is back the
 * breaker closes and L2 is written again. This file owns its redis-server process.
 */

const noRedis = skipWithoutRedis(redisServerInstalled(), 'cache-redis-outage');
/** Command timeout (250 ms) plus room for the SQL of a miss on a busy test machine. */
const MAX_REQUEST_MS = 1_000;
const PREFIX = 'outage:';

let redisServer: RedisServerProcess;
let server: TestServer;
let db: Db;
/** The test's own view of Redis: reconnects by itself after restarts. */
let probe: Redis;
let stores: number[];
let productId: number;

const REVENUE = `query ($id: ID!, $range: DateRange!) { store(id: $id) { revenue(range: $range) { total orders } topProducts(range: $range, limit: 3) { unitsSold } } }`;

/** A day range nobody asked for yet, so the request is a miss computed from Postgres. */
let nextDay = 60;
function freshRange(): { from: string; to: string } {
  nextDay += 2;
  return { from: utcDaysAgo(nextDay + 1), to: utcDaysAgo(nextDay) };
}

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await run();
  return { result, ms: performance.now() - started };
}

/** Reads a store's revenue through the API and checks it against SQL and the time limit. */
async function readCorrectly(storeId: number, range: { from: string; to: string }): Promise<GraphqlResponse<any>> {
  const { result, ms } = await timed(() => server.request(REVENUE, { variables: { id: String(storeId), range } }));
  expect(ms, `request took ${Math.round(ms)} ms`).toBeLessThan(MAX_REQUEST_MS);
  const truth = await revenueTruth(db, [storeId], range, 'DAY');
  const revenue = dataOf(result).store.revenue;
  expect({ total: cents(revenue.total), orders: revenue.orders }).toEqual({ total: truth.totalCents, orders: truth.orders });
  return result;
}

async function recordOrder(storeId: number): Promise<void> {
  const { result, ms } = await timed(() =>
    server.request(`mutation ($input: OrderInput!) { recordOrder(input: $input) { id } }`, {
      variables: { input: { storeId: String(storeId), items: [{ productId: String(productId), quantity: 1 }] } },
    }),
  );
  expect(ms, `recordOrder took ${Math.round(ms)} ms`).toBeLessThan(MAX_REQUEST_MS);
  dataOf(result);
}

interface Readiness {
  status: string;
  cache: { mode: string; redisConnected: boolean; degraded: boolean };
}

async function readyz(): Promise<{ status: number; body: Readiness }> {
  const response = await fetch(server.url.replace(/\/graphql$/, '/readyz'));
  return { status: response.status, body: (await response.json()) as Readiness };
}

/** Keys of cached Store.revenue entries in Redis. */
async function revenueKeysInRedis(): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await probe.scan(cursor, 'MATCH', `${PREFIX}c:*Store.revenue*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

/** Keeps the server busy (each request a miss, so it touches Redis) until the breaker has closed again. */
async function untilL2InUse(): Promise<void> {
  const l2 = server.app.services.cache.l2!;
  await waitFor(
    async () => {
      if (!l2.breaker.isOpen && l2.connected) return true;
      await readCorrectly(stores[1], freshRange());
      return false;
    },
    { timeoutMs: 15_000, intervalMs: 150, what: () => `L2 in use again (breaker open: ${l2.breaker.isOpen}, connected: ${l2.connected})` },
  );
}

describe.skipIf(noRedis)('Redis failure under a running server', () => {
  beforeAll(async () => {
    redisServer = await startRedisServer();
    server = await startTestServer({ env: { REDIS_URL: redisServer.url, REDIS_PREFIX: PREFIX } });
    db = server.app.services.database.db;
    probe = new Redis(redisServer.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100, lazyConnect: false });
    probe.on('error', () => {}); // it is expected to lose its server during the tests
    stores = (await db.selectFrom('stores').select('id').orderBy('id').execute()).map((r) => r.id);
    productId = (await db.selectFrom('products').select('id').orderBy('id').limit(1).executeTakeFirstOrThrow()).id;
  });
  afterAll(async () => {
    probe?.disconnect();
    await server?.stop();
    await redisServer?.stop();
  });

  it('killed: every request answered correctly and fast, breaker open, /readyz degraded; restarted: L2 in use again', async () => {
    const l2 = server.app.services.cache.l2!;
    const cachedRange = freshRange();
    await readCorrectly(stores[0], cachedRange);
    await expect.poll(revenueKeysInRedis).not.toHaveLength(0);
    expect(await readyz()).toEqual({
      status: 200,
      body: expect.objectContaining({ status: 'ready', cache: { mode: 'L1+L2', redisConnected: true, degraded: false } }),
    });

    await redisServer.kill('SIGKILL');

    // Misses (Postgres), hits (L1), a write and a read of what it changed: all correct, none waits.
    const today = { from: utcDaysAgo(2), to: utcDaysAgo(0) };
    await readCorrectly(stores[0], today);
    for (let i = 0; i < 4; i += 1) {
      await readCorrectly(stores[i % stores.length], freshRange());
      await readCorrectly(stores[0], cachedRange);
    }
    await recordOrder(stores[0]);
    await readCorrectly(stores[0], today);

    expect(l2.breaker.isOpen).toBe(true);
    expect(await readyz()).toEqual({
      status: 200,
      body: expect.objectContaining({ status: 'ready', cache: { mode: 'L1+L2', redisConnected: false, degraded: true } }),
    });

    await redisServer.restart();
    await untilL2InUse();
    // The new Redis started empty: entries appear in it again.
    const range = freshRange();
    await readCorrectly(stores[2], range);
    await expect.poll(revenueKeysInRedis, { timeout: 2_000 }).not.toHaveLength(0);
    expect((await readyz()).body.cache).toEqual({ mode: 'L1+L2', redisConnected: true, degraded: false });
    // And it is read from: with L1 emptied the entry comes from L2 (the field entry, or the
    // operation entry built from it when the hot path answers).
    server.app.services.cache.l1.clear();
    const fromL2 = await server.request(REVENUE, { variables: { id: String(stores[2]), range } });
    const tiers = (fromL2.body.extensions?.cache as { fields: Array<{ path: string; tier: string }> } | undefined)?.fields;
    expect(fromL2.headers.get('x-cache')).toBe('HIT');
    if (tiers) expect(['L2', 'OPERATION']).toContain(tiers.find((f) => f.path === 'store.revenue')?.tier);
  });

  it('hung (SIGSTOP): requests wait at most about the command timeout, a write stays fresh on this instance, also once Redis answers again', async () => {
    const l2 = server.app.services.cache.l2!;
    await untilL2InUse();
    const today = { from: utcDaysAgo(1), to: utcDaysAgo(0) };
    await readCorrectly(stores[1], today); // cached in L1 and L2
    await expect.poll(async () => (await revenueKeysInRedis()).length, { timeout: 2_000 }).toBeGreaterThan(0);
    // Every L2 write of that request was sent on the server's cache connection before its
    // response left; a round trip on the same connection returns once Redis applied them all.
    await server.app.services.cache.l2!.get('settle');

    redisServer.freeze();
    try {
      for (let i = 0; i < 3; i += 1) await readCorrectly(stores[i % stores.length], freshRange());
      expect(l2.breaker.isOpen).toBe(true);
      expect((await readyz()).body.cache.degraded).toBe(true);
      await recordOrder(stores[1]); // its L2 invalidation cannot reach Redis
      await readCorrectly(stores[1], today);
    } finally {
      redisServer.thaw();
    }

    await untilL2InUse();
    // L1 lost the entry (memory pressure, say): the L2 copy from before the write must not come back.
    server.app.services.cache.l1.clear();
    await readCorrectly(stores[1], today);
  });
});
