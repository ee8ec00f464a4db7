import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { lastDays } from './helpers/dates.js';
import { dataOf } from './helpers/graphql-client.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { collect, firstResult, type WsConnection } from './helpers/ws-client.js';
import { connect, jobEvents, jobsEnv } from './jobs-helpers.js';

/**
 * The WebSocket path applies what Apollo applies on HTTP (graphql-ws runs none of its
 * plugins): limits, cost, parse and validation errors with their codes, masking, roles,
 * the introspection policy, the message size and the Origin allowlist.
 */
const LIMITS = {
  MAX_QUERY_DEPTH: '4',
  MAX_ALIASES: '3',
  MAX_QUERY_COST: '200',
  MAX_QUERY_TOKENS: '400',
  WS_MAX_MESSAGE_BYTES: '4096',
  WS_ALLOWED_ORIGINS: 'https://dash.example',
};

const codes = (r: { errors: Array<{ extensions?: Record<string, unknown> }> }) => r.errors.map((e) => e.extensions?.code);

describe('graphql-ws applies the HTTP rules', () => {
  let server: TestServer;
  let admin: WsConnection;
  let viewer: WsConnection;
  let viewerKey: string;

  beforeAll(async () => {
    server = await startTestServer({ env: jobsEnv('postgres', '', { ...LIMITS, NODE_ENV: 'production' }) });
    viewerKey = dataOf(await server.request(`mutation { createApiKey(name: "v", role: VIEWER) { key } }`)).createApiKey.key;
    admin = connect(server);
    viewer = connect(server, viewerKey);
  });
  afterAll(async () => {
    await admin?.client.dispose();
    await viewer?.client.dispose();
    await server?.stop();
  });

  it("queries run over the socket with the caller's role", async () => {
    const result = await firstResult(viewer, `{ stores(first: 2) { totalCount } }`);
    expect(result.errors).toEqual([]);
    expect((result.data as { stores: { totalCount: number } }).stores.totalCount).toBeGreaterThan(0);
  });

  it('depth, alias, cost and token limits, parse and validation errors carry their codes', async () => {
    expect(
      codes(
        await firstResult(
          admin,
          `{ stores { edges { node { topProducts(range: {from: "2024-01-01", to: "2024-01-02"}) { product { category { id } } } } } } }`,
        ),
      ),
    ).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(
      codes(await firstResult(admin, `{ a: categories { id } b: categories { id } c: categories { id } d: categories { id } }`)),
    ).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(
      codes(
        await firstResult(admin, `query($r: DateRange!) { stores(first: 100) { edges { node { revenue(range: $r) { total } } } } }`, {
          r: lastDays(30),
        }),
      ),
    ).toEqual(['QUERY_TOO_COMPLEX']);
    expect(codes(await firstResult(admin, `{ ${'categories { id } '.repeat(120)} }`))).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(codes(await firstResult(admin, `subscription {`))).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(codes(await firstResult(admin, `subscription { jobEvents(queue: "reports") { nope } }`))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('roles, unknown jobs and queues answer like HTTP, with a request id', async () => {
    const forbidden = jobEvents(viewer.client, { queue: 'reports' });
    await forbidden.until(() => forbidden.errors.length > 0 || forbidden.completed, 5_000).catch(() => undefined);
    expect(forbidden.errors.map((e) => (e as { extensions: { code: string } }).extensions.code)).toEqual(['FORBIDDEN']);
    const missing = await firstResult(admin, `subscription { jobEvents(jobId: "probe-missing") { type } }`);
    expect(codes(missing)).toEqual(['NOT_FOUND']);
    expect(missing.errors[0].extensions?.requestId).toEqual(expect.any(String));
    expect(codes(await firstResult(admin, `subscription { jobEvents(queue: "nope") { type } }`))).toEqual(['BAD_USER_INPUT']);
  });

  it('in production introspection is for admins only, and field suggestions are hidden from others', async () => {
    expect(codes(await firstResult(viewer, `{ __schema { queryType { name } } }`))).toEqual(['FORBIDDEN']);
    expect((await firstResult(admin, `{ __schema { queryType { name } } }`)).errors).toEqual([]);
    const typo = await firstResult(viewer, `{ categoriez { id } }`);
    expect(codes(typo)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(typo.errors[0].message).not.toMatch(/Did you mean/);
  });

  it('a bad or missing key is refused at connection_init with 4401', async () => {
    for (const key of ['gp_wrong_key_0000000000000000', null]) {
      const ws = connect(server, key);
      expect((await ws.closed).code).toBe(4401);
      await ws.client.dispose();
    }
  });

  it('a message over WS_MAX_MESSAGE_BYTES closes the socket (1009); another Origin is refused', async () => {
    // ws fails the socket with a RangeError (and closes it with 1009); graphql-ws's use/ws
    // would console.error it with its stack. The server logs one line instead: nothing printed.
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    let printed: unknown[][];
    try {
      const big = connect(server);
      const op = collect(big.client, `{ stores(first: 1) { totalCount } } # ${'x'.repeat(5000)}`);
      expect((await big.closed).code).toBe(1009);
      op.stop();
      await big.client.dispose();
    } finally {
      printed = [...spy.mock.calls];
      spy.mockRestore();
    }
    expect(printed).toEqual([]);

    const foreign = connect(server, undefined, { origin: 'https://evil.example' });
    // Accepted, then closed with 4403 before any message is processed: what a browser page can see.
    expect((await foreign.closed).code).toBe(4403);
    await foreign.client.dispose();
    const allowed = connect(server, undefined, { origin: 'https://dash.example' });
    expect((await firstResult(allowed, `{ stores(first: 1) { totalCount } }`)).errors).toEqual([]);
    await allowed.client.dispose();
  });
});
