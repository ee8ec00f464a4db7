import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_SALES, tiersOf } from './helpers/cache-probe.js';
import { utcDaysAgo } from './helpers/dates.js';
import { dataOf, type GraphqlResponse } from './helpers/graphql-client.js';
import { redisServerInstalled, skipWithoutRedis, startRedisServer, type RedisServerProcess } from './helpers/redis-server.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * invalidateCache(all: true) on two instances sharing one database and one Redis — a
 * redis-server of this file's own, so its command statistics count only what these
 * instances sent (the proof that clearing everything needed no SCAN, KEYS or DEL).
 */

const noRedis = skipWithoutRedis(redisServerInstalled(), 'cache-clear-all');

const CLEAR_ALL = `mutation { invalidateCache(all: true) }`;
const GENERATION = `{ metrics { cache { generation } } }`;

let redisServer: RedisServerProcess;
let probe: Redis;
let prefix: string;
let a: TestServer;
let b: TestServer;
let stores: number[];

const errorsOf = (response: GraphqlResponse<unknown>) =>
  (response.body.errors ?? []).map((error) => ({ code: error.extensions?.code, message: error.message }));

async function generationOf(server: TestServer): Promise<number> {
  return dataOf(await server.request(GENERATION)).metrics.cache.generation as number;
}

/** Calls per command since the last CONFIG RESETSTAT (INFO commandstats). */
async function commandCalls(): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const match of (await probe.info('commandstats')).matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) calls.set(match[1], Number(match[2]));
  return calls;
}

/** Keys under this file's prefix, by family (c: entries, t: tag sets): a SCAN of the probe's own, for the assertions. */
async function keyCount(family: string): Promise<number> {
  let count = 0;
  let cursor = '0';
  do {
    const [next, keys] = await probe.scan(cursor, 'MATCH', `${prefix}${family}*`, 'COUNT', 1000);
    count += keys.length;
    cursor = next;
  } while (cursor !== '0');
  return count;
}

/** The request twice on the server: the second answer must be a stored one (a hit). */
async function cacheOn(server: TestServer, variables: Record<string, unknown>): Promise<void> {
  await server.request(STORE_SALES, { variables });
  const again = await server.request(STORE_SALES, { variables });
  expect(again.headers.get('x-cache')).toBe('HIT');
}

describe.skipIf(noRedis)('invalidateCache(all: true) on two instances', () => {
  beforeAll(async () => {
    redisServer = await startRedisServer();
    probe = new Redis(redisServer.url, { lazyConnect: false });
    prefix = `clear-${randomBytes(4).toString('hex')}:`;
    const env = { REDIS_URL: redisServer.url, REDIS_PREFIX: prefix };
    a = await startTestServer({ env });
    b = await startTestServer({ env, databaseUrl: a.databaseUrl });
    const db = a.app.services.database.db;
    stores = (await db.selectFrom('stores').select('id').orderBy('id').execute()).map((r) => r.id);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    probe?.disconnect();
    await redisServer?.stop();
  });

  it('bumps the generation once: both instances drop their L1, miss, recompute from SQL, and nothing is scanned or deleted', async () => {
    const variables = (storeId: number) => ({ id: String(storeId), range: { from: utcDaysAgo(20), to: utcDaysAgo(14) } });
    await cacheOn(a, variables(stores[0]));
    await a.app.services.cache.l2?.get('settle'); // answered after A's L2 writes (same connection)
    // B finds A's entries in L2, then serves its own stored copy.
    expect(tiersOf(await b.request(STORE_SALES, { variables: variables(stores[0]) }))['store.revenue']).toBe('L2');
    await cacheOn(b, variables(stores[0]));
    await cacheOn(b, variables(stores[1]));
    const before = { a: await generationOf(a), b: await generationOf(b) };
    expect(before.a).toBe(before.b);
    const entriesBefore = await keyCount('c:');
    expect(entriesBefore).toBeGreaterThan(0);
    expect(b.app.services.cache.l1.size).toBeGreaterThan(0);

    await probe.config('RESETSTAT');
    const l1OfA = a.app.services.cache.l1.size;
    expect(l1OfA).toBeGreaterThan(0);
    const dropped = dataOf(await a.request(CLEAR_ALL)).invalidateCache;
    expect(dropped).toBe(l1OfA);
    expect(a.app.services.cache.l1.size).toBe(0);
    // B hears the new generation over pub/sub and drops its L1.
    await waitFor(() => b.app.services.cache.currentGeneration === before.a + 1, { what: "B's generation to move on" });
    expect(b.app.services.cache.l1.size).toBe(0);
    expect({ a: await generationOf(a), b: await generationOf(b) }).toEqual({ a: before.a + 1, b: before.a + 1 });
    expect(Number(await probe.get(`${prefix}generation`))).toBe(before.a + 1);

    // O(1): no key was listed or deleted; the old entries are still there, orphaned until their TTL.
    const calls = await commandCalls();
    for (const command of ['scan', 'keys', 'del', 'unlink']) expect(calls.get(command) ?? 0, `${command} calls`).toBe(0);
    expect(await keyCount('c:')).toBe(entriesBefore);

    // Both miss now (B on the store only it had cached) and compute again from Postgres, through Apollo (no stored response either).
    for (const [server, storeId] of [
      [a, stores[0]],
      [b, stores[1]],
    ] as const) {
      const statements = server.app.services.database.stats.queries;
      const after = await server.request(STORE_SALES, { variables: variables(storeId) });
      expect(after.headers.get('x-cache')).toBe('MISS');
      expect(tiersOf(after)).toEqual({ store: 'MISS', 'store.revenue': 'MISS', 'store.trafficPatterns': 'MISS' });
      expect(server.app.services.database.stats.queries).toBeGreaterThan(statements);
    }
  });

  it('an instance that starts reads the current generation', async () => {
    const generation = await generationOf(a);
    expect(generation).toBeGreaterThan(0);
    const c = await startTestServer({ env: { REDIS_URL: redisServer.url, REDIS_PREFIX: prefix }, databaseUrl: a.databaseUrl });
    try {
      expect(await generationOf(c)).toBe(generation);
    } finally {
      await c.stop();
    }
  });

  it('argument rules: exactly one of tags, fields, all: true; fields must be @cached coordinates', async () => {
    const cases: Array<[string, RegExp]> = [
      ['mutation { invalidateCache }', /give one of tags, fields or all: true/],
      ['mutation { invalidateCache(all: false) }', /give one of tags, fields or all: true/],
      ['mutation { invalidateCache(tags: ["x"], all: true) }', /not tags and all: true/],
      ['mutation { invalidateCache(tags: ["x"], fields: ["Store.revenue"]) }', /not tags and fields/],
      ['mutation { invalidateCache(fields: ["Store.nope"]) }', /"Store.nope" is not a @cached field/],
      ['mutation { invalidateCache(fields: ["Store.name"]) }', /"Store.name" is not a @cached field/],
      ['mutation { invalidateCache(fields: []) }', /fields must name 1 to 100/],
    ];
    const generation = await generationOf(a);
    for (const [document, message] of cases) {
      const errors = errorsOf(await a.request(document));
      expect(errors, document).toEqual([{ code: 'BAD_USER_INPUT', message: expect.stringMatching(message) }]);
    }
    expect(await generationOf(a)).toBe(generation);
  });

  it('fields: drops only the entries of those fields, on every instance', async () => {
    const variables = { id: String(stores[2]), range: { from: utcDaysAgo(30), to: utcDaysAgo(25) } };
    await cacheOn(b, variables);
    const l1OfB = b.app.services.cache.l1.size;
    const evicted = dataOf(await a.request(`mutation { invalidateCache(fields: ["Store.revenue"]) }`)).invalidateCache;
    // At least the revenue entry and the stored response built from it (L2 also holds older revenue entries: all go).
    expect(evicted).toBeGreaterThanOrEqual(2);
    // B drops them from its L1 when the message arrives (one message: all at once); its other entries stay.
    await waitFor(() => b.app.services.cache.l1.size < l1OfB, { what: "B's L1 to lose the revenue entries and the responses" });
    const after = await b.request(STORE_SALES, { variables });
    expect(after.headers.get('x-cache')).toBe('MISS');
    expect(tiersOf(after)).toEqual({ store: 'L1', 'store.revenue': 'MISS', 'store.trafficPatterns': 'L1' });
  });

  it('a bump whose message was lost is adopted by the periodic read, with every connection up', async () => {
    const generation = await generationOf(b);
    // As if an instance bumped and then failed to publish: only Redis knows.
    await probe.set(`${prefix}generation`, String(generation + 1));
    const started = Date.now();
    for (const server of [a, b]) {
      await waitFor(() => server.app.services.cache.currentGeneration === generation + 1, {
        timeoutMs: 15_000,
        what: 'the generation poll to adopt the bump',
      });
    }
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('after losing Redis, an instance reads the generation again (a bump it did not hear of is adopted)', async () => {
    const generation = await generationOf(a);
    // A bump no instance heard of: only Redis knows.
    await probe.set(`${prefix}generation`, String(generation + 5));
    await probe.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    for (const server of [a, b]) {
      await waitFor(() => server.app.services.cache.currentGeneration === generation + 5, { what: 'the generation to be read again' });
    }
    // And a Redis that lost the number (restarted empty) gets it back: a generation never goes back.
    await redisServer.kill();
    await redisServer.restart();
    await waitFor(async () => Number(await probe.get(`${prefix}generation`).catch(() => null)) === generation + 5, {
      timeoutMs: 10_000,
      what: 'the instances to write their generation back',
    });
    expect(await generationOf(a)).toBe(generation + 5);
  });
});
