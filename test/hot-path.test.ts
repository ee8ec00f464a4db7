import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { sql } from 'kysely';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import {
  CreateApiKeyDocument,
  RecordOrderDocument,
  RevenueMetricsDocument,
  RevokeApiKeyDocument,
  StoreCardDocument,
} from './generated/graphql.js';
import { dataOf } from './helpers/graphql-client.js';
import { lastDays } from './helpers/dates.js';
import { rawHttp } from './helpers/raw-http.js';
import { startServerWithViewer } from './helpers/api-keys.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { waitFor } from './helpers/wait-for.js';

const range = lastDays(30);
const cardBody = (id = '1') => JSON.stringify({ query: print(StoreCardDocument), variables: { id, range } });

async function post(server: TestServer, body: string, key: string, headers: Record<string, string> = {}) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
    body,
  });
  const raw = Buffer.from(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, raw };
}

/** A POST whose body arrives as sent (fetch would decode gzip and br before the test could see them). */
const postUndecoded = (server: TestServer, body: string, key: string, headers: Record<string, string>) =>
  rawHttp(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
    body,
  });

/** Hot-path hits carry stored bytes whose extensions.cache says `operation: true`; Apollo answers list field tiers. */
function isHotHit(response: { headers: Headers; raw: Buffer }): boolean {
  if (response.headers.get('x-cache') !== 'HIT' || response.raw.length === 0)
    return response.headers.get('x-cache') === 'HIT' && response.headers.get('age') !== null;
  return JSON.parse(response.raw.toString()).extensions?.cache?.operation === true;
}

let server: TestServer;
let viewerKey: string;
beforeAll(async () => ({ server, viewerKey } = await startServerWithViewer()));
afterAll(() => server?.stop());

describe('operation hot path', () => {
  it('a dashboard query becomes a hot-path hit on the second request, with the same data', async () => {
    const first = await post(server, cardBody('2'), viewerKey);
    expect(first.status).toBe(200);
    expect(isHotHit(first)).toBe(false);
    expect(first.headers.get('etag')).toBeTruthy();
    expect(first.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
    const second = await post(server, cardBody('2'), viewerKey);
    expect(isHotHit(second)).toBe(true);
    expect(JSON.parse(second.raw.toString()).data).toEqual(JSON.parse(first.raw.toString()).data);
    expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(second.headers.get('x-request-id')).toBeTruthy();
    // Every request carries a key: private caching only (never `public`), varying on what the answer depends on.
    for (const response of [first, second]) {
      expect(response.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
      expect(
        response.headers
          .get('vary')
          ?.split(',')
          .map((v) => v.trim()),
      ).toEqual(expect.arrayContaining(['Accept', 'Accept-Encoding', 'Authorization', 'Origin']));
    }
  });

  it('an entry shared by every key (only PUBLIC fields) is still answered `private`: no shared-cache claims', async () => {
    const body = JSON.stringify({ query: '{ product(id: "1") { id name category { id name } } }' });
    const first = await post(server, body, viewerKey);
    const second = await post(server, body, viewerKey);
    expect(isHotHit(second)).toBe(true);
    for (const response of [first, second]) expect(response.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
  });

  it('counts hot-path hits as hits of the operation and of its fields', async () => {
    await post(server, cardBody('3'), viewerKey);
    const before = {
      op: server.app.services.cache.stats.get('Operation')?.hits ?? 0,
      revenue: server.app.services.cache.stats.get('Store.revenue')!.hits,
    };
    expect(isHotHit(await post(server, cardBody('3'), viewerKey))).toBe(true);
    expect(server.app.services.cache.stats.get('Operation')!.hits).toBe(before.op + 1);
    expect(server.app.services.cache.stats.get('Store.revenue')!.hits).toBe(before.revenue + 1);
  });

  it('gzip and brotli bodies decode to the same JSON; If-None-Match gives 304 without a body', async () => {
    await post(server, cardBody('1'), viewerKey);
    const plain = await post(server, cardBody('1'), viewerKey, { 'accept-encoding': 'identity' });
    expect(isHotHit(plain)).toBe(true);
    expect(plain.headers.get('content-encoding')).toBeNull();
    const gzip = await postUndecoded(server, cardBody('1'), viewerKey, { 'accept-encoding': 'gzip' });
    const br = await postUndecoded(server, cardBody('1'), viewerKey, { 'accept-encoding': 'br, gzip' });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(br.headers['content-encoding']).toBe('br');
    // The bytes that travelled are compressed (not the plain body), and decode to exactly the plain body.
    expect(gzip.raw.equals(plain.raw)).toBe(false);
    expect(br.raw.equals(plain.raw)).toBe(false);
    expect(Number(gzip.headers['content-length'])).toBe(gzip.raw.length);
    expect(gunzipSync(gzip.raw).toString()).toBe(plain.raw.toString());
    expect(brotliDecompressSync(br.raw).toString()).toBe(plain.raw.toString());
    const notModified = await post(server, cardBody('1'), viewerKey, { 'if-none-match': plain.headers.get('etag')! });
    expect(notModified.status).toBe(304);
    expect(notModified.raw.length).toBe(0);
  });

  it('any write touching one of its tags makes the next response fresh', async () => {
    const read = async () => JSON.parse((await post(server, cardBody('1'), viewerKey)).raw.toString()).data.store.revenue.total as number;
    await read();
    expect(isHotHit(await post(server, cardBody('1'), viewerKey))).toBe(true);
    const products = await server.app.services.database.db
      .selectFrom('products')
      .select(['id', 'unit_price'])
      .orderBy('id')
      .limit(1)
      .execute();
    dataOf(
      await server.request(RecordOrderDocument, {
        variables: { input: { storeId: '1', items: [{ productId: String(products[0].id), quantity: 2 }] } },
      }),
    );
    const after = await post(server, cardBody('1'), viewerKey);
    expect(isHotHit(after)).toBe(false);
    const { rows } = await sql<{ total: number }>`
      SELECT coalesce(sum(total), 0)::float AS total FROM orders WHERE store_id = 1 AND status = 'COMPLETED'
         AND placed_at >= ${range.from}::date AND placed_at < ${range.to}::date + 1`.execute(server.app.services.database.db);
    expect(JSON.parse(after.raw.toString()).data.store.revenue.total).toBeCloseTo(rows[0].total, 2);
  });

  it('a query with a data access outside @cached fields is never stored whole', async () => {
    const body = JSON.stringify({
      query: `{ orders(first: 2) { totalCount } store(id: "1") { revenue(range: {from: "${range.from}", to: "${range.to}"}) { total } } }`,
    });
    await post(server, body, viewerKey);
    const second = await post(server, body, viewerKey);
    // The cached fields hit, but the page of orders is read from Postgres each time: not
    // everything came from the cache, so X-Cache says MISS and the response is never stored.
    expect(JSON.parse(second.raw.toString()).extensions.cache).toMatchObject({ hits: 2, misses: 0 });
    expect(second.headers.get('x-cache')).toBe('MISS');
    expect(isHotHit(second)).toBe(false);
    expect(second.headers.get('etag')).toBeNull();
  });

  it('a loader shared by a cached and an uncached field still keeps the response out of the operation cache', async () => {
    // store(id) (cached) and Customer.homeStore (not cached) load the same store through one
    // DataLoader in one batch: the uncached field asked for it, so the response is not storable.
    const { rows } = await sql<{
      id: number;
      homeStoreId: number;
    }>`SELECT id, home_store_id AS "homeStoreId" FROM customers WHERE home_store_id IS NOT NULL ORDER BY id LIMIT 1`.execute(
      server.app.services.database.db,
    );
    const [{ id, homeStoreId: storeId }] = rows;
    const body = JSON.stringify({ query: `{ store(id: "${storeId}") { name } customer(id: "${id}") { homeStore { name } } }` });
    const first = await post(server, body, viewerKey);
    expect(JSON.parse(first.raw.toString()).data.customer.homeStore.name).toBe(JSON.parse(first.raw.toString()).data.store.name);
    const second = await post(server, body, viewerKey);
    expect(isHotHit(second)).toBe(false);
    expect(second.headers.get('etag')).toBeNull();
  });

  it('a revoked key is refused on the hot path at once', async () => {
    const created = dataOf(
      await server.request(CreateApiKeyDocument, { variables: { name: 'soon revoked', role: 'VIEWER' } }),
    ).createApiKey;
    await post(server, cardBody('1'), created.key);
    expect(isHotHit(await post(server, cardBody('1'), created.key))).toBe(true);
    dataOf(await server.request(RevokeApiKeyDocument, { variables: { id: String(created.id) } }));
    const refused = await post(server, cardBody('1'), created.key);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.raw.toString()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('PRIVATE entries never cross keys of different store scopes', async () => {
    const keyOf = async (storeIds: string[]) =>
      dataOf(await server.request(CreateApiKeyDocument, { variables: { name: `scoped ${storeIds}`, role: 'VIEWER', storeIds } }))
        .createApiKey.key;
    const [one, two] = [await keyOf(['1']), await keyOf(['2'])];
    const body = JSON.stringify({ query: print(RevenueMetricsDocument), variables: { range } });
    const totals = async (key: string) => {
      await post(server, body, key);
      const hit = await post(server, body, key);
      expect(isHotHit(hit)).toBe(true);
      return JSON.parse(hit.raw.toString()).data.revenueMetrics.total as number;
    };
    const [t1, t2] = [await totals(one), await totals(two)];
    const truth = async (storeId: number) =>
      (
        await sql<{
          total: number;
        }>`SELECT coalesce(sum(total), 0)::float AS total FROM orders WHERE store_id = ${storeId} AND status = 'COMPLETED'
           AND placed_at >= ${range.from}::date AND placed_at < ${range.to}::date + 1`.execute(server.app.services.database.db)
      ).rows[0].total;
    expect(t1).toBeCloseTo(await truth(1), 2);
    expect(t2).toBeCloseTo(await truth(2), 2);
    expect(t1).not.toBe(t2);
  });
});

describe('hot path keeps the rate limit', () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startTestServer({ env: { RATE_LIMITS: 'VIEWER=3' } });
  });
  afterAll(() => limited?.stop());

  it('a VIEWER over its rate limit is refused on the hot path', async () => {
    const key = dataOf(await limited.request(CreateApiKeyDocument, { variables: { name: 'slow', role: 'VIEWER' } })).createApiKey.key;
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await post(limited, cardBody('1'), key)).status);
    expect(statuses.slice(0, 3).every((s) => s === 200)).toBe(true);
    expect(statuses).toContain(429);
  });
});

const redisUrl = inject('redisUrl');
describe.skipIf(!redisUrl)('hot path across two instances sharing Redis', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    const env = { REDIS_URL: redisUrl, REDIS_PREFIX: `hot${Date.now()}:` };
    a = await startTestServer({ env });
    b = await startTestServer({ env, databaseUrl: a.databaseUrl });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('a write through A makes the next response fresh on both instances', async () => {
    const key = a.adminKey;
    for (const server of [a, b]) {
      await post(server, cardBody('3'), key);
      expect(isHotHit(await post(server, cardBody('3'), key))).toBe(true);
    }
    const products = await a.app.services.database.db.selectFrom('products').select('id').orderBy('id').limit(1).execute();
    // B drops what the write changed when A's pub/sub message arrives: its L1 invalidation is the event to wait for.
    const dropOnB = vi.spyOn(b.app.services.cache.l1, 'invalidate');
    try {
      dataOf(
        await a.request(RecordOrderDocument, {
          variables: { input: { storeId: '3', items: [{ productId: String(products[0].id), quantity: 3 }] } },
        }),
      );
      await waitFor(() => dropOnB.mock.calls.length > 0, { what: "A's invalidation to reach B over Redis pub/sub" });
    } finally {
      dropOnB.mockRestore();
    }
    const { rows } = await sql<{ total: number }>`
      SELECT coalesce(sum(total), 0)::float AS total FROM orders WHERE store_id = 3 AND status = 'COMPLETED'
         AND placed_at >= ${range.from}::date AND placed_at < ${range.to}::date + 1`.execute(a.app.services.database.db);
    for (const server of [a, b]) {
      // B may answer from the fresh entry A just stored in Redis: what matters is that it is fresh.
      const response = await post(server, cardBody('3'), key);
      expect(JSON.parse(response.raw.toString()).data.store.revenue.total).toBeCloseTo(rows[0].total, 2);
    }
  });
});
