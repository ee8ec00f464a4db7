import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreCardDocument } from './generated/graphql.js';
import { lastDays } from './helpers/dates.js';
import { dataOf } from './helpers/graphql-client.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/**
 * Over HTTP every operation needs a key: no key and an unknown key are both refused
 * with 401 UNAUTHENTICATED for the whole request (a Bearer challenge, the request id,
 * no data), on Apollo's path and where the hot path would answer; /metrics likewise.
 * The landing page still opens without a key.
 */

let server: TestServer;
let base: string;
const STORES = JSON.stringify({ query: '{ stores { totalCount } }' });

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

async function call(path: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(`${base}${path}`, init);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const post = (body: string, headers: Record<string, string> = {}) =>
  call('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

/** A whole-request refusal: 401, UNAUTHENTICATED only, no data, the Bearer challenge, and the request id in header and error. */
function expectUnauthenticated(answer: Answer): void {
  expect(answer.status, answer.text).toBe(401);
  expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="graphpulse"');
  const body = JSON.parse(answer.text) as { data?: unknown; errors: Array<{ message: string; extensions: Record<string, unknown> }> };
  expect(body.data ?? null).toBeNull();
  expect(body.errors.map((e) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
  expect(body.errors[0].extensions.requestId).toBe(answer.headers.get('x-request-id'));
}

beforeAll(async () => {
  // development: the landing page is on, as a person opening /graphql in a browser gets it.
  server = await startTestServer({ env: { NODE_ENV: 'development' } });
  base = server.url.replace(/\/graphql$/, '');
});
afterAll(() => server?.stop());

describe('POST and GET /graphql', () => {
  it('no key: 401 UNAUTHENTICATED that says how to send one', async () => {
    const answer = await post(STORES);
    expectUnauthenticated(answer);
    expect(JSON.parse(answer.text).errors[0].message).toMatch(/Authorization: Bearer/);
    const mutation = await post(JSON.stringify({ query: 'mutation { createApiKey(name: "x", role: ADMIN) { key } }' }));
    expectUnauthenticated(mutation);
  });

  it('no key on GET: 401 too', async () => {
    const answer = await call(`/graphql?query=${encodeURIComponent('{ stores { totalCount } }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expectUnauthenticated(answer);
  });

  it('an unknown key, Bearer or bare: 401 UNAUTHENTICATED', async () => {
    expectUnauthenticated(await post(STORES, { authorization: 'Bearer gp_never_issued_00000000000000000' }));
    expectUnauthenticated(await post(STORES, { authorization: 'gp_never_issued_00000000000000000' }));
  });

  it('a valid key: 200 with data', async () => {
    const answer = await post(STORES, { authorization: `Bearer ${server.adminKey}` });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text).data.stores.totalCount).toBeGreaterThan(0);
  });

  it('an operation the hot path holds is still 401 without a key', async () => {
    const body = JSON.stringify({ query: print(StoreCardDocument), variables: { id: '1', range: lastDays(21) } });
    const auth = { authorization: `Bearer ${server.adminKey}` };
    await post(body, auth);
    const stored = await post(body, auth);
    expect(JSON.parse(stored.text).extensions?.cache?.operation, 'the second request is a hot-path hit').toBe(true);
    const anonymous = await post(body);
    expectUnauthenticated(anonymous);
    expect(anonymous.headers.get('x-cache')).toBeNull();
  });

  it('the landing page still opens without a key', async () => {
    const page = await call('/graphql', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
  });
});

describe('/metrics', () => {
  const scrape = (authorization?: string) => call('/metrics', { headers: authorization ? { authorization } : {} });

  it('no key and an unknown key: 401 UNAUTHENTICATED with a Bearer challenge', async () => {
    for (const answer of [await scrape(), await scrape('Bearer gp_never_issued_00000000000000000')]) {
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="graphpulse"');
      expect(JSON.parse(answer.text).code).toBe('UNAUTHENTICATED');
    }
  });

  it('a VIEWER key: 403 FORBIDDEN; an ADMIN key: 200 Prometheus text', async () => {
    const viewer = dataOf(await server.request(`mutation { createApiKey(name: "metrics viewer", role: VIEWER) { key } }`)).createApiKey.key;
    const forbidden = await scrape(`Bearer ${viewer}`);
    expect(forbidden.status).toBe(403);
    expect(JSON.parse(forbidden.text).code).toBe('FORBIDDEN');
    const admin = await scrape(`Bearer ${server.adminKey}`);
    expect(admin.status).toBe(200);
    expect(admin.text).toMatch(/^# HELP /m);
  });
});
