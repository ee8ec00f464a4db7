import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TEST_ADMIN_KEY } from './helpers/constants.js';
import { dataOf } from './helpers/graphql-client.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { firstResult, openWs, wsUrlOf, type WsClosed, type WsConnection } from './helpers/ws-client.js';

/**
 * Authentication over graphql-ws against a listening server: the connectionParams forms
 * a key may come in, the close codes and reasons of refusals (4401 for a missing, unknown
 * or revoked key; 4403 for a refused Origin), and a key revoked while its socket is open.
 */

const ALLOWED_ORIGIN = 'https://dash.example';
const STORES = `{ stores(first: 1) { totalCount } }`;

/** Runs STORES over the socket: its first result or errors. */
const query = (socket: WsConnection) => firstResult<{ stores?: { totalCount: number } }>(socket, STORES);

let server: TestServer;
const sockets: WsConnection[] = [];
const track = (socket: WsConnection) => (sockets.push(socket), socket);

beforeAll(async () => {
  server = await startTestServer({ env: { CORS_ORIGINS: ALLOWED_ORIGIN } });
});
afterAll(async () => {
  await Promise.all(sockets.map(async (s) => s.client.dispose()));
  await server?.stop();
});

async function createViewer(): Promise<{ id: string; key: string }> {
  const created = await server.request(`mutation { createApiKey(name: "ws viewer", role: VIEWER) { id key } }`);
  return dataOf(created).createApiKey;
}

describe('the key in connectionParams', () => {
  const forms: Array<[string, Record<string, unknown>]> = [
    ['authorization', { authorization: `Bearer ${TEST_ADMIN_KEY}` }],
    ['Authorization', { Authorization: `Bearer ${TEST_ADMIN_KEY}` }],
    ['AUTHORIZATION, scheme in lower case', { AUTHORIZATION: `bearer ${TEST_ADMIN_KEY}` }],
    ['headers.Authorization', { headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}` } }],
    ['headers.authorization', { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } }],
  ];

  it.each(forms)('%s is accepted and the socket runs operations', async (_name, params) => {
    const socket = track(openWs(server, params));
    await socket.connected;
    const result = await query(socket);
    expect(result.errors).toEqual([]);
    expect(result.data?.stores?.totalCount).toBeGreaterThan(0);
  });

  it('a top-level key wins over one in headers', async () => {
    const socket = track(
      openWs(server, { authorization: `Bearer ${TEST_ADMIN_KEY}`, headers: { authorization: 'Bearer gp_not_a_key_000000000000000' } }),
    );
    await socket.connected;
    expect((await query(socket)).errors).toEqual([]);
  });
});

describe('refusals close the socket with a code and a reason', () => {
  it.each<[string, Record<string, unknown> | undefined]>([
    ['no connectionParams', undefined],
    ['empty connectionParams', {}],
    ['a value that is not a Bearer key', { authorization: 'Basic Zm9vOmJhcg==' }],
    ['an empty headers object', { headers: {} }],
  ])('%s: 4401 missing API key', async (_name, params) => {
    const socket = track(openWs(server, params));
    expect(await socket.closed).toEqual({ code: 4401, reason: 'Unauthorized: missing API key' });
    expect(socket.wasConnected()).toBe(false);
  });

  it('an unknown key: 4401 unknown or revoked API key', async () => {
    for (const params of [
      { authorization: 'Bearer gp_never_issued_0000000000000000' },
      { headers: { Authorization: 'Bearer gp_never_issued_0000000000000000' } },
    ]) {
      const socket = track(openWs(server, params));
      expect(await socket.closed).toEqual({ code: 4401, reason: 'Unauthorized: unknown or revoked API key' });
      expect(socket.wasConnected()).toBe(false);
    }
  });

  it('a revoked key: 4401 unknown or revoked API key', async () => {
    const viewer = await createViewer();
    expect(
      dataOf(await server.request(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { variables: { id: viewer.id } })).revokeApiKey,
    ).toBe(true);
    const socket = track(openWs(server, { authorization: `Bearer ${viewer.key}` }));
    expect(await socket.closed).toEqual({ code: 4401, reason: 'Unauthorized: unknown or revoked API key' });
  });

  it('the graphql-ws client does not retry 4401, even with retries allowed', async () => {
    let connecting = 0;
    const refused = new Promise<WsClosed>((resolve) => {
      const client = createClient({
        url: wsUrlOf(server),
        webSocketImpl: WebSocket,
        lazy: false,
        retryAttempts: 5,
        connectionParams: { authorization: 'Bearer gp_never_issued_0000000000000000' },
        on: { connecting: () => (connecting += 1) },
        // Called once the client gives up: at once for a code it never retries, after every retry otherwise.
        onNonLazyError: (error) => resolve(error as WsClosed),
      });
      sockets.push({ client, connected: new Promise(() => {}), closed: new Promise(() => {}), wasConnected: () => false });
    });
    expect(await refused).toMatchObject({ code: 4401 });
    expect(connecting).toBe(1);
  });

  it('a page of another Origin: 4403 origin not allowed, before connection_init is answered', async () => {
    const socket = track(openWs(server, { authorization: `Bearer ${TEST_ADMIN_KEY}` }, { origin: 'https://evil.example' }));
    expect(await socket.closed).toEqual({ code: 4403, reason: 'Forbidden: origin not allowed' });
    expect(socket.wasConnected()).toBe(false);
  });

  it('what a browser sees for another Origin: the socket opens, then closes with 4403', async () => {
    const raw = new WebSocket(wsUrlOf(server), 'graphql-transport-ws', { origin: 'https://evil.example' });
    let opened = false;
    raw.on('open', () => (opened = true));
    const [code, reason] = await new Promise<[number, string]>((resolve) => raw.on('close', (c, r) => resolve([c, r.toString()])));
    expect(opened).toBe(true);
    expect([code, reason]).toEqual([4403, 'Forbidden: origin not allowed']);
  });

  it('an allowed Origin and no Origin (not a browser) are accepted', async () => {
    const fromPage = track(openWs(server, { authorization: `Bearer ${TEST_ADMIN_KEY}` }, { origin: ALLOWED_ORIGIN }));
    await fromPage.connected;
    expect((await query(fromPage)).errors).toEqual([]);
    const noOrigin = track(openWs(server, { authorization: `Bearer ${TEST_ADMIN_KEY}` }));
    await noOrigin.connected;
    expect((await query(noOrigin)).errors).toEqual([]);
  });
});

describe('a key revoked while its socket is open', () => {
  it('the next operation answers UNAUTHENTICATED', async () => {
    const viewer = await createViewer();
    const socket = track(openWs(server, { Authorization: `Bearer ${viewer.key}` }));
    await socket.connected;
    expect((await query(socket)).errors).toEqual([]);
    expect(
      dataOf(await server.request(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { variables: { id: viewer.id } })).revokeApiKey,
    ).toBe(true);
    const after = await query(socket);
    expect(after.data).toBeUndefined();
    expect(after.errors.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });
});
