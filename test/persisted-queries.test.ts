import { createHash } from 'node:crypto';
import { print } from 'graphql';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { StoreCardDocument } from './generated/graphql.js';
import { lastDays } from './helpers/dates.js';
import { rawHttp, type RawHttpResponse } from './helpers/raw-http.js';
import { startRedisServer, type RedisServerProcess } from './helpers/redis-server.js';
import { startServerWithViewer } from './helpers/api-keys.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/**
 * Automatic persisted queries as Apollo Client sends them (extensions.persistedQuery over
 * GET and POST), against listening servers without Redis (the LRU), with Redis (shared by
 * every instance) and with a Redis that died; hash-only requests on the hot path; and
 * proof that nothing refused (invalid, over a limit, over the cost, unauthenticated) is
 * ever registered.
 */

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const STORE_CARD = print(StoreCardDocument);
const ALIASES = `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
const INVALID = '{ stores(first: 1) { noSuchField } }';
const OVER_COST = `{ stores(first: 100) { edges { node { topProducts(range: {from: "${lastDays(30).from}", to: "${lastDays(30).to}"}, limit: 100) { product { category { products(first: 100) { totalCount } } } } } } } }`;
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

interface Sent {
  query?: string;
  hash?: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  key?: string | null;
  headers?: Record<string, string>;
}

/** A POST as Apollo Client's persisted-query link sends it. */
function postApq(server: TestServer, sent: Sent): Promise<RawHttpResponse> {
  const key = sent.key === undefined ? server.adminKey : sent.key;
  return rawHttp(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...sent.headers },
    body: JSON.stringify({
      ...(sent.query !== undefined ? { query: sent.query } : {}),
      variables: sent.variables ?? {},
      ...(sent.operationName ? { operationName: sent.operationName } : {}),
      extensions: sent.hash ? persisted(sent.hash) : undefined,
    }),
  });
}

/** A hash-only GET (Apollo Client's useGETForHashedQueries). */
function getApq(server: TestServer, sent: Sent): Promise<RawHttpResponse> {
  const key = sent.key === undefined ? server.adminKey : sent.key;
  const search = new URLSearchParams({
    variables: JSON.stringify(sent.variables ?? {}),
    extensions: JSON.stringify(persisted(sent.hash!)),
  });
  if (sent.operationName) search.set('operationName', sent.operationName);
  if (sent.query !== undefined) search.set('query', sent.query);
  return rawHttp(`${server.url}?${search}`, { headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...sent.headers } });
}

const codeOf = (response: RawHttpResponse) => response.json().errors?.[0]?.extensions?.code as string | undefined;
const isHotHit = (response: RawHttpResponse) =>
  response.headers['x-cache'] === 'HIT' && JSON.parse(response.text).extensions?.cache?.operation === true;

/** The APQ behaviours every store must give. */
function describeApq(label: string, serverOf: () => TestServer) {
  describe(label, () => {
    it('an unknown hash, by GET or POST, is PERSISTED_QUERY_NOT_FOUND (200, not cacheable, as Apollo answers it)', async () => {
      const hash = sha256(`{ stores(first: 2) { totalCount } } # ${label} unknown`);
      for (const response of [await getApq(serverOf(), { hash }), await postApq(serverOf(), { hash })]) {
        expect(response.status).toBe(200);
        expect(codeOf(response)).toBe('PERSISTED_QUERY_NOT_FOUND');
        expect(response.json().errors[0].message).toBe('PersistedQueryNotFound');
        expect(response.headers['cache-control']).toMatch(/no-cache/);
        expect(response.headers['x-request-id']).toBeTruthy();
      }
    });

    it('the hash with its query registers it; then the hash alone runs it, by GET and by POST', async () => {
      const query = `{ stores(first: 3) { totalCount } } # ${label} registered`;
      const hash = sha256(query);
      const registered = await postApq(serverOf(), { query, hash });
      expect(registered.status, registered.text).toBe(200);
      const total = registered.json().data.stores.totalCount;
      expect(total).toBeGreaterThan(0);
      const byGet = await getApq(serverOf(), { hash });
      expect(byGet.status, byGet.text).toBe(200);
      expect(byGet.json().data.stores.totalCount).toBe(total);
      expect((await postApq(serverOf(), { hash })).json().data.stores.totalCount).toBe(total);
    });

    it('a hash that is not the sha256 of its query is 400 BAD_REQUEST, and registers nothing under it', async () => {
      const query = `{ stores(first: 4) { totalCount } } # ${label} mismatch`;
      const wrongHash = sha256(`${query} (another text)`);
      const refused = await postApq(serverOf(), { query, hash: wrongHash });
      expect(refused.status).toBe(400);
      expect(codeOf(refused)).toBe('BAD_REQUEST');
      expect(refused.json().errors[0].message).toMatch(/sha256/);
      expect(codeOf(await getApq(serverOf(), { query, hash: wrongHash }))).toBe('BAD_REQUEST');
      expect(codeOf(await getApq(serverOf(), { hash: wrongHash }))).toBe('PERSISTED_QUERY_NOT_FOUND');
    });

    it('a document refused by validation, a limit, the cost check or authentication is never registered', async () => {
      const cases: Array<[string, string, string | null, number, string]> = [
        ['invalid', `${INVALID} # ${label}`, serverOf().adminKey, 400, 'GRAPHQL_VALIDATION_FAILED'],
        ['over the alias limit', `${ALIASES} # ${label}`, serverOf().adminKey, 400, 'GRAPHQL_VALIDATION_FAILED'],
        ['over the cost limit', `${OVER_COST} # ${label}`, serverOf().adminKey, 400, 'QUERY_TOO_COMPLEX'],
        ['without a key', `{ stores(first: 5) { totalCount } } # ${label} anonymous`, null, 401, 'UNAUTHENTICATED'],
        [
          'with an unknown key',
          `{ stores(first: 6) { totalCount } } # ${label} unknown key`,
          'gp_not_a_key_0123456789',
          401,
          'UNAUTHENTICATED',
        ],
      ];
      for (const [what, query, key, status, code] of cases) {
        const hash = sha256(query);
        const refused = await postApq(serverOf(), { query, hash, key });
        expect(refused.status, `${what}: ${refused.text}`).toBe(status);
        expect(codeOf(refused), what).toBe(code);
        const later = await getApq(serverOf(), { hash });
        expect(codeOf(later), `${what}: a later hash-only request`).toBe('PERSISTED_QUERY_NOT_FOUND');
      }
    });
  });
}

describe('without Redis: the bounded in-process LRU', () => {
  let server: TestServer;
  let viewerKey: string;
  beforeAll(async () => ({ server, viewerKey } = await startServerWithViewer({}, 'apq viewer')));
  afterAll(() => server?.stop());

  describeApq('LRU', () => server);

  it('a hash-only GET of a fully cached query is answered by the hot path: ETag, 304, gzip/br, private caching, Vary', async () => {
    const variables = { id: '2', range: lastDays(21) };
    const hash = sha256(STORE_CARD);
    const origin = 'http://localhost:5173';
    // Apollo Client names the operation in both requests: it is part of what identifies a stored answer.
    const first = await postApq(server, { query: STORE_CARD, hash, variables, operationName: 'StoreCard', key: viewerKey });
    expect(first.status, first.text).toBe(200);
    expect(isHotHit(first)).toBe(false);
    const getCard = (headers: Record<string, string>) =>
      getApq(server, { hash, variables, operationName: 'StoreCard', key: viewerKey, headers });
    const hit = await getCard({ origin });
    expect(hit.status, hit.text).toBe(200);
    expect(isHotHit(hit)).toBe(true);
    expect(hit.json().data).toEqual(first.json().data);
    const etag = String(hit.headers.etag);
    expect(etag).toMatch(/^".+"$/);
    expect(hit.headers['cache-control']).toMatch(/^private, max-age=\d+$/);
    expect(hit.headers.age).toMatch(/^\d+$/);
    const vary = String(hit.headers.vary)
      .split(',')
      .map((v) => v.trim());
    expect(vary).toEqual(expect.arrayContaining(['Accept', 'Accept-Encoding', 'Authorization', 'Origin']));
    expect(hit.headers['access-control-allow-origin']).toBe(origin);
    const notModified = await getCard({ 'if-none-match': etag });
    expect(notModified.status).toBe(304);
    expect(notModified.raw.length).toBe(0);
    for (const [accepted, sent] of [
      ['gzip', 'gzip'],
      ['br, gzip', 'br'],
    ]) {
      const compressed = await getCard({ 'accept-encoding': accepted });
      expect(compressed.headers['content-encoding'], accepted).toBe(sent);
      expect(JSON.parse(compressed.text).data).toEqual(first.json().data);
    }
  });

  it('a hash-only request Apollo ran is stored for the hot path like a full one; caching headers never claim public', async () => {
    const hash = sha256(STORE_CARD);
    await postApq(server, { query: STORE_CARD, hash, variables: { id: '1', range: lastDays(22) } });
    const variables = { id: '3', range: lastDays(23) };
    const executed = await postApq(server, { hash, variables, key: viewerKey });
    expect(executed.status, executed.text).toBe(200);
    expect(isHotHit(executed)).toBe(false);
    expect(executed.headers['cache-control']).toMatch(/^private, max-age=\d+$/);
    expect(executed.headers.etag).toBeTruthy();
    expect(String(executed.headers.vary)).toMatch(/Origin/);
    const hit = await postApq(server, { hash, variables, key: viewerKey });
    expect(isHotHit(hit)).toBe(true);
    expect(hit.headers.etag).toBe(executed.headers.etag);
  });
});

const redisUrl = inject('redisUrl');
describe.skipIf(!redisUrl)('with Redis: one store for every instance', () => {
  let a: TestServer;
  let b: TestServer;
  let redis: Redis;
  const prefix = `apq${Date.now()}:`;
  beforeAll(async () => {
    const env = { REDIS_URL: redisUrl, REDIS_PREFIX: prefix };
    a = await startTestServer({ env });
    b = await startTestServer({ env, databaseUrl: a.databaseUrl });
    redis = new Redis(redisUrl);
  });
  afterAll(async () => {
    redis?.disconnect();
    await b?.stop();
    await a?.stop();
  });

  describeApq('Redis', () => a);

  it('a document registered through A runs by its hash on B, from Redis under REDIS_PREFIX with a TTL', async () => {
    const query = '{ categories { id name } }';
    const hash = sha256(query);
    expect(codeOf(await getApq(b, { hash }))).toBe('PERSISTED_QUERY_NOT_FOUND');
    const registered = await postApq(a, { query, hash });
    expect(registered.status, registered.text).toBe(200);
    expect(await redis.get(`${prefix}apq:${hash}`)).toBe(query);
    expect(await redis.ttl(`${prefix}apq:${hash}`)).toBeGreaterThan(0);
    const onB = await getApq(b, { hash });
    expect(onB.status, onB.text).toBe(200);
    expect(onB.json().data).toEqual(registered.json().data);
  });

  it('refused documents leave nothing in Redis', async () => {
    for (const query of [`${INVALID} # redis check`, `${OVER_COST} # redis check`]) {
      const hash = sha256(query);
      expect((await postApq(a, { query, hash })).status).toBe(400);
      expect(await redis.exists(`${prefix}apq:${hash}`)).toBe(0);
      expect(codeOf(await getApq(b, { hash }))).toBe('PERSISTED_QUERY_NOT_FOUND');
    }
  });
});

describe.skipIf(!redisUrl)('with a Redis that stops answering', () => {
  let redisProcess: RedisServerProcess;
  let server: TestServer;
  beforeAll(async () => {
    redisProcess = await startRedisServer();
    server = await startTestServer({ env: { REDIS_URL: redisProcess.url, REDIS_PREFIX: 'apqdown:' } });
  });
  afterAll(async () => {
    await server?.stop();
    await redisProcess?.stop();
  });

  it('registering and running by hash keep working on the instance, from its LRU', async () => {
    // Hung rather than killed: the server's BullMQ connections then recover by themselves once it answers again.
    redisProcess.freeze();
    try {
      const query = '{ stores(first: 7) { totalCount } }';
      const hash = sha256(query);
      const registered = await postApq(server, { query, hash });
      expect(registered.status, registered.text).toBe(200);
      const byHash = await getApq(server, { hash });
      expect(byHash.status, byHash.text).toBe(200);
      expect(byHash.json().data).toEqual(registered.json().data);
      expect(codeOf(await getApq(server, { hash: sha256('{ categories { id } }') }))).toBe('PERSISTED_QUERY_NOT_FOUND');
    } finally {
      redisProcess.thaw();
    }
  });
});
