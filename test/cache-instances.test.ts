import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { utcDaysAgo } from './helpers/dates.js';
import { expectDayInvalidated, STORE_SALES, tiersOf } from './helpers/cache-probe.js';
import { dataOf } from './helpers/graphql-client.js';
import { skipWithoutRedis } from './helpers/redis-server.js';
import { cents, revenueTruth } from './helpers/sql-truth.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/**
 * Two API instances on one database and one Redis (one key prefix), as in production
 * behind a load balancer: L2 is shared, and each write's invalidation reaches the other
 * instance's L1 over pub/sub. Default configuration (hot path on).
 */

const redisUrl = inject('redisUrl');
const noRedis = skipWithoutRedis(Boolean(redisUrl), 'cache-instances');

let a: TestServer;
let b: TestServer;
let stores: number[];
let productId: number;

describe.skipIf(noRedis)('two instances sharing one Redis and one database', () => {
  beforeAll(async () => {
    const env = { REDIS_URL: redisUrl, REDIS_PREFIX: `cinst-${randomBytes(4).toString('hex')}:` };
    a = await startTestServer({ env });
    b = await startTestServer({ env, databaseUrl: a.databaseUrl });
    const db = a.app.services.database.db;
    stores = (await db.selectFrom('stores').select('id').orderBy('id').execute()).map((r) => r.id);
    productId = (await db.selectFrom('products').select('id').orderBy('id').limit(1).executeTakeFirstOrThrow()).id;
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('an entry computed by one instance is an L2 hit on the other', async () => {
    const variables = { id: String(stores[1]), range: { from: utcDaysAgo(40), to: utcDaysAgo(33) } };
    const onA = await a.request(STORE_SALES, { variables });
    expect(tiersOf(onA)).toEqual({ store: 'MISS', 'store.revenue': 'MISS', 'store.trafficPatterns': 'MISS' });
    await a.app.services.cache.l2?.get('settle'); // answered after A's L2 writes (same connection), which the request did not await
    const onB = await b.request(STORE_SALES, { variables });
    expect(tiersOf(onB)).toEqual({ store: 'L2', 'store.revenue': 'L2', 'store.trafficPatterns': 'L2' });
    expect(onB.headers.get('x-cache')).toBe('HIT');
    expect(onB.body.data).toEqual(onA.body.data);
  });

  it('read through B (cached), write through A, read on B is fresh and equals SQL', async () => {
    const storeId = stores[0];
    const variables = { id: String(storeId), range: { from: utcDaysAgo(6), to: utcDaysAgo(0) } };
    const before = dataOf(await b.request(STORE_SALES, { variables }));
    // B now answers from its own L1 (or its stored response): a stale answer would show below.
    expect((await b.request(STORE_SALES, { variables })).headers.get('x-cache')).toBe('HIT');

    const order = dataOf(
      await a.request(`mutation ($input: OrderInput!) { recordOrder(input: $input) { id total } }`, {
        variables: { input: { storeId: String(storeId), items: [{ productId: String(productId), quantity: 2 }] } },
      }),
    ).recordOrder;

    const after = await b.request(STORE_SALES, { variables });
    // Neither B's L1 (dropped over pub/sub) nor L2 (tag sets deleted by A) still had the old value.
    expect(after.headers.get('x-cache')).toBe('MISS');
    expect(tiersOf(after)['store.revenue']).toBe('MISS');
    const revenue = dataOf(after).store.revenue;
    const truth = await revenueTruth(b.app.services.database.db, [storeId], variables.range, 'DAY');
    expect({ total: cents(revenue.total), orders: revenue.orders }).toEqual({ total: truth.totalCents, orders: truth.orders });
    expect(cents(revenue.total)).toBe(cents(before.store.revenue.total) + cents(order.total));
    // And A, which never cached it, reads the same.
    expect(dataOf(await a.request(STORE_SALES, { variables })).store.revenue.total).toBe(revenue.total);
  });

  it("invalidateCache on A evicts what B cached, in L2 and in B's L1", async () => {
    await expectDayInvalidated(b, a, stores[2], utcDaysAgo(45));
  });
});
