import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastDays } from './helpers/dates.js';
import { dataOf, type GraphqlResponse } from './helpers/graphql-client.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/**
 * The public HTTP edge (README) on a real listening server (NODE_ENV=development): GET and
 * POST, body limits, health routes, request ids, the landing page, and the error codes
 * of malformed requests and arguments.
 */

let server: TestServer;
let base: string;

interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: () => { data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

async function raw(path: string, init: RequestInit = {}): Promise<RawResponse> {
  const response = await fetch(`${base}${path}`, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

function post(body: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return raw('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}`, ...headers },
    body,
  });
}

function codesOf(response: GraphqlResponse<unknown>): string[] {
  return (response.body.errors ?? []).map((e) => String(e.extensions?.code));
}

/** Every error carries the request id that the x-request-id header names. */
function expectRequestIds(headers: Headers, errors: Array<{ extensions?: Record<string, unknown> }> | undefined): string {
  const id = headers.get('x-request-id');
  expect(id).toBeTruthy();
  expect(errors?.length, 'expected errors').toBeGreaterThan(0);
  for (const error of errors ?? []) expect(error.extensions?.requestId, JSON.stringify(error)).toBe(id);
  return id!;
}

beforeAll(async () => {
  server = await startTestServer({ env: { NODE_ENV: 'development', RATE_LIMITS: 'VIEWER=100000,INGEST=100000' } });
  base = server.url.replace(/\/graphql$/, '');
});
afterAll(() => server?.stop());

describe('transport', () => {
  it('GET /graphql?query=… answers a query with a key', async () => {
    const response = await raw(`/graphql?query=${encodeURIComponent('{stores{totalCount}}')}`, {
      headers: { authorization: `Bearer ${server.adminKey}` },
    });
    expect(response.status, response.text).toBe(200);
    expect(response.json().data.stores.totalCount).toBeGreaterThan(0);
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });

  it('GET may not run a mutation', async () => {
    const query = encodeURIComponent('mutation { revokeApiKey(id: 1) }');
    const response = await raw(`/graphql?query=${query}`, {
      headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.json().data ?? null).toBeNull();
    // The admin key is still live.
    expect(dataOf(await server.request('{ stores { totalCount } }')).stores.totalCount).toBeGreaterThan(0);
  });

  it('POST with invalid JSON is 400 with a request id', async () => {
    const response = await post('{"query": "{ stores { totalCount } }"');
    expect(response.status).toBe(400);
    const body = response.json();
    expect(body.errors?.[0].message).toMatch(/JSON/);
    expectRequestIds(response.headers, body.errors);
  });

  it('a body over 1 MB is refused with 413, declared or streamed', async () => {
    const big = JSON.stringify({ query: '{ stores { totalCount } }', variables: { pad: 'x'.repeat(1024 * 1024) } });
    const declared = await post(big);
    expect(declared.status).toBe(413);
    expectRequestIds(declared.headers, declared.json().errors);

    // Chunked, no content-length: refused once the running size passes the limit.
    const target = new URL(server.url);
    const streamed = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${server.adminKey}` },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      const chunk = 'x'.repeat(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 18) {
          sent += 1;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(streamed.status).toBe(413);
    expect(streamed.text).toContain('exceeds');

    // Just under the limit is fine (the server reads it and answers normally).
    const fits = JSON.stringify({ query: '{ stores { totalCount } }', variables: { pad: 'x'.repeat(1000 * 1000) } });
    const ok = await post(fits);
    expect(ok.status, ok.text.slice(0, 300)).toBe(200);
  });

  it('a batched (array) body is refused', async () => {
    const response = await post(JSON.stringify([{ query: '{ stores { totalCount } }' }, { query: '{ categories { id } }' }]));
    expect(response.status).toBe(400);
    const body = response.json();
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.[0].message).toMatch(/batch/i);
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });

  it('/healthz 200, /readyz 200 with the database ok, unknown paths 404', async () => {
    const health = await raw('/healthz');
    expect(health.status).toBe(200);
    expect(health.json()).toMatchObject({ status: 'ok' });
    const ready = await raw('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json()).toMatchObject({ database: 'ok' });
    for (const path of ['/nope', '/graphql/extra', '/', '/GRAPHQL']) {
      const missing = await raw(path);
      expect(missing.status, path).toBe(404);
    }
  });

  it('GET with Accept: text/html in development serves the Sandbox landing page', async () => {
    const response = await raw('/graphql', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(response.text).toMatch(/<!DOCTYPE html>/i);
    expect(response.text.toLowerCase()).toContain('sandbox');
  });
});

describe('request ids', () => {
  it('every GraphQL response has x-request-id, fresh per request', async () => {
    const a = await server.request('{ stores { totalCount } }');
    const b = await server.request('{ stores { totalCount } }');
    const ids = [a.headers.get('x-request-id'), b.headers.get('x-request-id')];
    expect(ids[0]).toBeTruthy();
    expect(ids[1]).toBeTruthy();
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('errors carry extensions.requestId equal to the header (resolver, parse, validation errors)', async () => {
    const resolverError = await server.request('{ revenueMetrics(range: {from: "2024-02-01", to: "2024-01-01"}) { total } }');
    expect(codesOf(resolverError)).toEqual(['BAD_USER_INPUT']);
    expectRequestIds(resolverError.headers, resolverError.body.errors);
    const parse = await server.request('{ stores {');
    expectRequestIds(parse.headers, parse.body.errors);
    const validation = await server.request('{ nope }');
    expectRequestIds(validation.headers, validation.body.errors);
  });

  it('errors Apollo raises before execution (missing or unknown key 401, batched body) carry the request id too', async () => {
    const missing = await server.request('{ stores { totalCount } }', { key: null });
    expect(missing.status).toBe(401);
    expect(codesOf(missing)).toEqual(['UNAUTHENTICATED']);
    expectRequestIds(missing.headers, missing.body.errors);
    const unknown = await server.request('{ stores { totalCount } }', { key: 'gp_unknown_key_for_request_id_test' });
    expect(unknown.status).toBe(401);
    expectRequestIds(unknown.headers, unknown.body.errors);
    const batched = await post(JSON.stringify([{ query: '{ stores { totalCount } }' }]));
    expectRequestIds(batched.headers, batched.json().errors);
  });

  it('a client-sent X-Request-Id is echoed in the header and in errors; an unsafe one is replaced', async () => {
    const ok = await server.request('{ stores { totalCount } }', { headers: { 'x-request-id': 'client-trace.42_A' } });
    expect(ok.headers.get('x-request-id')).toBe('client-trace.42_A');
    const failed = await server.request('{ nope }', { headers: { 'x-request-id': 'client-trace-43' } });
    expect(failed.headers.get('x-request-id')).toBe('client-trace-43');
    expect(failed.body.errors?.[0].extensions?.requestId).toBe('client-trace-43');
    for (const unsafe of ['has space', 'x'.repeat(65), 'semi;colon']) {
      const response = await server.request('{ stores { totalCount } }', { headers: { 'x-request-id': unsafe } });
      const id = response.headers.get('x-request-id');
      expect(id).toBeTruthy();
      expect(id).not.toBe(unsafe);
      expect(id).toMatch(/^[\w.-]{1,64}$/);
    }
  });
});

describe('error codes', () => {
  it('a parse error is GRAPHQL_PARSE_FAILED, an unknown field GRAPHQL_VALIDATION_FAILED, both HTTP 400', async () => {
    const parse = await server.request('{ stores { totalCount }');
    expect(parse.status).toBe(400);
    expect(codesOf(parse)).toEqual(['GRAPHQL_PARSE_FAILED']);
    const validation = await server.request('{ stores { totalCount noSuchField } }');
    expect(validation.status).toBe(400);
    expect(codesOf(validation)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(validation.body.errors?.[0].message).toContain('noSuchField');
  });

  const REVENUE = 'query($r: DateRange!) { revenueMetrics(range: $r) { total } }';

  it('an impossible Date variable (2024-02-30) is BAD_USER_INPUT; so is a literal and a malformed one', async () => {
    const variable = await server.request(REVENUE, { variables: { r: { from: '2024-02-30', to: '2024-03-01' } } });
    expect(codesOf(variable)).toEqual(['BAD_USER_INPUT']);
    expect(variable.body.errors?.[0].message).toContain('2024-02-30');
    expect(variable.body.data ?? null).toBeNull();
    const literal = await server.request('{ revenueMetrics(range: { from: "2024-02-30", to: "2024-03-01" }) { total } }');
    expect(codesOf(literal)).toEqual(['BAD_USER_INPUT']);
    expect(literal.status).toBe(400);
    const malformed = await server.request(REVENUE, { variables: { r: { from: '2024-2-1', to: '2024-03-01' } } });
    expect(codesOf(malformed)).toEqual(['BAD_USER_INPUT']);
    // A real leap day is fine.
    expect(codesOf(await server.request(REVENUE, { variables: { r: { from: '2024-02-29', to: '2024-03-01' } } }))).toEqual([]);
  });

  it('an invalid Date variable is answered with HTTP 400, not 500', async () => {
    const variable = await server.request(REVENUE, { variables: { r: { from: '2024-02-30', to: '2024-03-01' } } });
    expect(variable.status).toBe(400);
  });

  it('a range with to < from is BAD_USER_INPUT naming the argument', async () => {
    const response = await server.request(REVENUE, { variables: { r: { from: '2024-03-10', to: '2024-03-01' } } });
    expect(codesOf(response)).toEqual(['BAD_USER_INPUT']);
    const error = response.body.errors![0];
    expect(error.extensions?.argument).toBe('range');
    expect(error.message).toContain('range');
    expectRequestIds(response.headers, response.body.errors);
  });

  it('a range over 731 days is BAD_USER_INPUT naming the argument; exactly 731 is accepted', async () => {
    const tooLong = await server.request(REVENUE, { variables: { r: { from: '2022-01-01', to: '2024-01-02' } } }); // 732 days
    expect(codesOf(tooLong)).toEqual(['BAD_USER_INPUT']);
    expect(tooLong.body.errors![0].extensions?.argument).toBe('range');
    expect(tooLong.body.errors![0].message).toMatch(/range/);
    expect(tooLong.body.errors![0].message).toContain('731');
    const longest = await server.request(REVENUE, { variables: { r: { from: '2022-01-01', to: '2024-01-01' } } }); // 731 days
    expect(codesOf(longest)).toEqual([]);
    // Nested ranges are checked the same way.
    const nested = await server.request('query($r: DateRange!) { store(id: 1) { revenue(range: $r) { total } } }', {
      variables: { r: { from: '2024-03-10', to: '2024-03-01' } },
    });
    expect(codesOf(nested)).toEqual(['BAD_USER_INPUT']);
    expect(nested.body.errors![0].extensions?.argument).toBe('range');
    expect(nested.body.errors![0].path).toEqual(['store', 'revenue']);
  });

  it('a valid range still answers', async () => {
    const data = dataOf(await server.request(REVENUE, { variables: { r: lastDays(30) } }));
    expect(data.revenueMetrics.total).toBeGreaterThan(0);
  });
});
