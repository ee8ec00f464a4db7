import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { hashApiKey } from '../src/auth/api-keys.js';
import { poolSnapshot } from '../src/metrics/database-recorder.js';
import { hasPlan, isReadOnlySelect } from '../src/metrics/query-plans.js';
import { redisServerStats } from '../src/metrics/redis-info.js';
import { utcDaysAgo } from './helpers/dates.js';
import { dataOf } from './helpers/graphql-client.js';
import { redisServerInstalled, skipWithoutRedis, startRedisServer } from './helpers/redis-server.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/**
 * The Metrics pieces the source systems had: the Redis server's stats (INFO), pool
 * utilisation, and plans of slow statements run again from what the server recorded.
 */

const redisUrl = inject('redisUrl');
const noRedis = skipWithoutRedis(Boolean(redisUrl), 'metrics-missing-pieces (Redis stats)');

const REDIS_STATS = `{ metrics { cache { generation redis {
  version usedMemoryBytes maxMemoryBytes keys connectedClients evictedKeys keyspaceHits keyspaceMisses hitRatio } } } }`;
const POOL = `{ metrics { database { pool { total idle waiting max utilizationPercent } } } }`;
const SLOW_PLANS = `{ metrics { database { slowQueries(limit: 100) {
  sql count sampleParameters plan { text analyzed planningMs executionMs } } } } }`;
const RECORD_ORDER = `mutation ($input: OrderInput!) { recordOrder(input: $input) { id } }`;

describe('pure parts', () => {
  it('redisServerStats reads INFO text: every dbN summed, hit ratio, absent fields as 0', () => {
    const info = [
      '# Server',
      'redis_version:7.0.15',
      '# Clients',
      'connected_clients:7',
      '# Memory',
      'used_memory:1048576',
      'maxmemory:0',
      '# Stats',
      'evicted_keys:3',
      'keyspace_hits:30',
      'keyspace_misses:10',
      '# Keyspace',
      'db0:keys=12,expires=3,avg_ttl=0',
      'db3:keys=5,expires=0,avg_ttl=0',
      '',
    ].join('\r\n');
    expect(redisServerStats(info)).toEqual({
      version: '7.0.15',
      usedMemoryBytes: 1_048_576,
      maxMemoryBytes: 0,
      keys: 17,
      connectedClients: 7,
      evictedKeys: 3,
      keyspaceHits: 30,
      keyspaceMisses: 10,
      hitRatio: 0.75,
    });
    expect(redisServerStats('# Server\r\nredis_version:6.2.0\r\n')).toMatchObject({ keys: 0, hitRatio: null });
  });

  it('pool utilisation is (total - idle) / max * 100', () => {
    expect(poolSnapshot(3, 1, 0, 4)).toEqual({ total: 3, idle: 1, waiting: 0, max: 4, utilizationPercent: 50 });
    expect(poolSnapshot(4, 0, 2, 4).utilizationPercent).toBe(100);
    expect(poolSnapshot(0, 0, 0, 4).utilizationPercent).toBe(0);
  });

  it('only read-only SELECTs are analyzed', () => {
    const readOnly = [
      'select * from orders where id = $1',
      '  -- insert into x\n(select 1)',
      'select \'delete from t\' as text, "update" from t',
      'with recent as (select * from orders) select count(*) from recent',
    ];
    const writing = [
      'insert into orders (id) values ($1)',
      'update orders set total = 0',
      'with gone as (delete from orders returning id) select count(*) from gone',
      'with moved as (insert into t select 1 returning *) select * from moved',
      'select * from orders for update',
      'select * into copy from orders',
      'explain analyze delete from orders',
    ];
    expect([hasPlan('begin'), hasPlan('commit'), hasPlan('/* x */ insert into t values (1)'), hasPlan('(select 1)')]).toEqual([
      false,
      false,
      true,
      true,
    ]);
    for (const sql of readOnly) expect(isReadOnlySelect(sql), sql).toBe(true);
    for (const sql of writing) expect(isReadOnlySelect(sql), sql).toBe(false);
  });
});

describe('Metrics over GraphQL', () => {
  let plain: TestServer;
  beforeAll(async () => {
    // Every statement is "slow", so every statement shape keeps a sample.
    plain = await startTestServer({ env: { SLOW_QUERY_MS: '0', DB_POOL_MAX: '3' } });
  });
  afterAll(async () => {
    await plain?.stop();
  });

  it('without Redis: no server stats (null, no error), generation 0', async () => {
    const response = await plain.request(REDIS_STATS);
    expect(response.body.errors).toBeUndefined();
    expect(dataOf(response).metrics.cache).toEqual({ generation: 0, redis: null });
  });

  it('pool: max is DB_POOL_MAX and utilisation follows from total and idle', async () => {
    const { pool } = dataOf(await plain.request(POOL)).metrics.database;
    expect(pool.max).toBe(3);
    expect(pool.utilizationPercent).toBeCloseTo(((pool.total - pool.idle) / pool.max) * 100, 6);
  });

  it('a slow SELECT is analyzed with its parameters; an INSERT is only planned and writes nothing', async () => {
    const db = plain.app.services.database.db;
    const storeId = (await db.selectFrom('stores').select('id').orderBy('id').limit(1).executeTakeFirstOrThrow()).id;
    const productId = (await db.selectFrom('products').select('id').orderBy('id').limit(1).executeTakeFirstOrThrow()).id;
    dataOf(await plain.request(`mutation { resetMetrics }`));
    dataOf(
      await plain.request(`query ($id: ID!, $range: DateRange!) { store(id: $id) { revenue(range: $range) { total } } }`, {
        variables: { id: String(storeId), range: { from: utcDaysAgo(10), to: utcDaysAgo(3) } },
      }),
    );
    dataOf(
      await plain.request(RECORD_ORDER, {
        variables: { input: { storeId: String(storeId), items: [{ productId: String(productId), quantity: 1 }] } },
      }),
    );
    const countOf = async (table: 'orders' | 'order_items') =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = { orders: await countOf('orders'), items: await countOf('order_items') };

    // A statement carrying a credential: the new key's hash is its parameter.
    const created = dataOf(await plain.request(`mutation { createApiKey(name: "plans-redaction", role: VIEWER) { key } }`))
      .createApiKey as { key: string };
    const rows = dataOf(await plain.request(SLOW_PLANS)).metrics.database.slowQueries as Array<{
      sql: string;
      sampleParameters: string[];
      plan: { text: string; analyzed: boolean; planningMs: number | null; executionMs: number | null };
    }>;
    // The revenue statement: it ran with the range's first day among its parameters.
    const select = rows.find((row) => /^(select|with)/i.test(row.sql) && row.sampleParameters.includes(utcDaysAgo(10)));
    expect(select, rows.map((row) => row.sql).join('\n')).toBeDefined();
    expect(select!.plan.analyzed).toBe(true);
    expect(select!.plan.text).toMatch(/Execution Time: [\d.]+ ms/);
    expect(select!.plan.text).toMatch(/Buffers:|actual time=/);
    expect(select!.plan.executionMs).toBeGreaterThanOrEqual(0);
    expect(select!.plan.planningMs).toBeGreaterThanOrEqual(0);

    const insert = rows.find((row) => /^insert into "orders"/i.test(row.sql));
    expect(insert, rows.map((row) => row.sql).join('\n')).toBeDefined();
    expect(insert!.sampleParameters).toContain(String(storeId));
    expect(insert!.plan.analyzed).toBe(false);
    expect(insert!.plan.text).toMatch(/Insert on orders/);
    expect(insert!.plan.executionMs).toBeNull();
    // The key lookup of every request ran (and was slow at 0 ms): its parameter, a key hash, is never shown.
    const keyLookup = rows.find((row) => /"api_keys"/.test(row.sql) && row.sampleParameters.length > 0);
    expect(keyLookup, rows.map((row) => row.sql).join('\n')).toBeDefined();
    expect(keyLookup!.sampleParameters.every((value) => value === '(redacted: credentials)')).toBe(true);
    // Nor in its plan: a plan with the values would print them as constants; credentials get the generic plan.
    const keyInsert = rows.find((row) => /^insert into "api_keys"/i.test(row.sql));
    expect(keyInsert, rows.map((row) => row.sql).join('\n')).toBeDefined();
    expect(keyInsert!.plan.analyzed).toBe(false);
    expect(keyInsert!.plan.text).toMatch(/Insert on api_keys/);
    // Using the new key makes its lookup by hash run (and count as slow at 0 ms).
    await plain.request('{ categories { id } }', { key: created.key });
    const again = dataOf(await plain.request(SLOW_PLANS)).metrics.database.slowQueries as typeof rows;
    const credentialRows = again.filter((r) => /"api_keys"/.test(r.sql));
    expect(credentialRows.some((r) => /^select/i.test(r.sql))).toBe(true);
    for (const row of credentialRows) {
      expect(row.plan.text).not.toContain(hashApiKey(created.key));
      expect(row.plan.text).not.toMatch(/'[0-9a-f]{64}'/);
    }
    // Statements without a plan say so.
    expect(rows.find((row) => row.sql === 'begin')?.plan).toEqual({
      text: expect.stringMatching(/^No plan: Postgres plans only/),
      analyzed: false,
      planningMs: null,
      executionMs: null,
    });
    // Planning the INSERT (and every other statement) wrote nothing.
    expect({ orders: await countOf('orders'), items: await countOf('order_items') }).toEqual(before);
  });

  it('DatabaseMetrics.slowQuery(sql) plans one recorded shape only; unknown text is null and never runs', async () => {
    const listed = dataOf(await plain.request(SLOW_PLANS.replace(' plan { text analyzed planningMs executionMs }', ''))).metrics.database
      .slowQueries as Array<{ sql: string; count: number }>;
    const insert = listed.find((row) => /^insert into "orders"/i.test(row.sql));
    expect(insert, listed.map((row) => row.sql).join('\n')).toBeDefined();
    const ONE = `query ($sql: String!) { metrics { database { slowQuery(sql: $sql) { sql count plan { text analyzed } } } } }`;
    // Which samples get planned: exactly the one asked for (slowQueries(limit: n) { plan } would plan n of them).
    const planner = plain.app.services.metrics!.database.plans;
    const planned = vi.spyOn(planner, 'plan');
    try {
      const one = dataOf(await plain.request(ONE, { variables: { sql: insert!.sql } })).metrics.database.slowQuery;
      expect(one).toMatchObject({ sql: insert!.sql, plan: { analyzed: false, text: expect.stringMatching(/Insert on orders/) } });
      expect(one.count).toBeGreaterThanOrEqual(insert!.count);
      expect(planned).toHaveBeenCalledTimes(1);
      // Text that is not a recorded shape (user SQL) is only looked up: null, nothing planned or run.
      const unknown = await plain.request(ONE, { variables: { sql: 'delete from "orders"' } });
      expect(unknown.body.errors).toBeUndefined();
      expect(dataOf(unknown).metrics.database.slowQuery).toBeNull();
      expect(planned).toHaveBeenCalledTimes(1);
    } finally {
      planned.mockRestore();
    }
  });
});

describe.skipIf(noRedis)('Metrics.cache.redis with Redis', () => {
  it('is the server INFO: plausible numbers', async () => {
    const server = await startTestServer({ env: { REDIS_URL: redisUrl, REDIS_PREFIX: `mmp-${process.pid}:` } });
    try {
      const response = await server.request(REDIS_STATS);
      expect(response.body.errors).toBeUndefined();
      const { redis, generation } = dataOf(response).metrics.cache;
      expect(generation).toBeGreaterThanOrEqual(0);
      expect(redis.version).toMatch(/^\d+\.\d+/);
      expect(redis.usedMemoryBytes).toBeGreaterThan(0);
      expect(redis.maxMemoryBytes).toBeGreaterThanOrEqual(0);
      // This instance alone holds two connections (cache, pub/sub) and has written its probe key.
      expect(redis.connectedClients).toBeGreaterThanOrEqual(2);
      expect(redis.keys).toBeGreaterThanOrEqual(1);
      expect(redis.hitRatio === null || (redis.hitRatio >= 0 && redis.hitRatio <= 1)).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it.skipIf(!redisServerInstalled())('is null, not an error, when Redis is gone', async () => {
    const redisServer = await startRedisServer();
    const server = await startTestServer({ env: { REDIS_URL: redisServer.url, REDIS_PREFIX: 'mmp-gone:' } });
    try {
      expect(dataOf(await server.request(REDIS_STATS)).metrics.cache.redis).not.toBeNull();
      await redisServer.kill();
      const response = await server.request(REDIS_STATS);
      expect(response.body.errors).toBeUndefined();
      expect(dataOf(response).metrics.cache.redis).toBeNull();
    } finally {
      await server.stop();
      await redisServer.stop();
    }
  });
});
