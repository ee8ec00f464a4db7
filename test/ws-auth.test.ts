import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TEST_ADMIN_KEY } from './helpers/constants.js';
import { dataOf } from './helpers/graphql-client.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { collect, wsUrlOf } from './jobs-helpers.js';

/**
 * Authentication over graphql-ws against a listening server: the connectionParams forms
 * a key may come in, the close codes and reasons of refusals (4401 for a missing, unknown
 * or revoked key; 4403 for a refused Origin), and a key revoked while its socket is open.
 */

const ALLOWED_ORIGIN = 'https://dash.example';
const STORES = `{ stores(first: 1) { totalCount } }`;

interface Closed {
  code: number;
  reason: string;
}

interface Socket {
  client: Client;
  /** Resolves once the server acknowledged connection_init. */
  connected: Promise<void>;
  closed: Promise<Closed>;
  wasConnected: () => boolean;
}

/** A graphql-ws client with exactly these connectionParams; no retries, so a refusal shows as the close. */
function open(server: TestServer, connectionParams: Record<string, unknown> | undefined, origin?: string): Socket {
  let resolveConnected!: () => void;
  let resolveClosed!: (closed: Closed) => void;
  const connected = new Promise<void>((resolve) => (resolveConnected = resolve));
  const closed = new Promise<Closed>((resolve) => (resolveClosed = resolve));
  let acked = false;
  const impl = origin
    ? class extends WebSocket {
        constructor(url: string, protocols?: string | string[]) {
          super(url, protocols, { origin });
        }
      }
    : WebSocket;
  const client = createClient({
    url: wsUrlOf(server),
    webSocketImpl: impl,
    lazy: false,
    retryAttempts: 0,
    connectionParams,
    on: {
      connected: () => {
        acked = true;
        resolveConnected();
      },
      closed: (event) => {
        const { code, reason } = event as Closed;
        resolveClosed({ code, reason });
      },
    },
    onNonLazyError: () => {},
  });
  return { client, connected, closed, wasConnected: () => acked };
}

/** Runs one query over the socket and returns its first result or errors. */
async function query(socket: Socket, text = STORES) {
  const op = collect(socket.client, text);
  await op.until((items) => items.length > 0 || op.completed, 5_000).catch(() => undefined);
  op.stop();
  return {
    data: op.items[0] as { stores?: { totalCount: number } } | undefined,
    errors: op.errors as Array<{ extensions?: { code?: string } }>,
  };
}

let server: TestServer;
const sockets: Socket[] = [];
const track = (socket: Socket) => (sockets.push(socket), socket);

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
    const socket = track(open(server, params));
    await socket.connected;
    const result = await query(socket);
    expect(result.errors).toEqual([]);
    expect(result.data?.stores?.totalCount).toBeGreaterThan(0);
  });

  it('a top-level key wins over one in headers', async () => {
    const socket = track(
      open(server, { authorization: `Bearer ${TEST_ADMIN_KEY}`, headers: { authorization: 'Bearer gp_not_a_key_000000000000000' } }),
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
    const socket = track(open(server, params));
    expect(await socket.closed).toEqual({ code: 4401, reason: 'Unauthorized: missing API key' });
    expect(socket.wasConnected()).toBe(false);
  });

  it('an unknown key: 4401 unknown or revoked API key', async () => {
    for (const params of [
      { authorization: 'Bearer gp_never_issued_0000000000000000' },
      { headers: { Authorization: 'Bearer gp_never_issued_0000000000000000' } },
    ]) {
      const socket = track(open(server, params));
      expect(await socket.closed).toEqual({ code: 4401, reason: 'Unauthorized: unknown or revoked API key' });
      expect(socket.wasConnected()).toBe(false);
    }
  });

  it('a revoked key: 4401 unknown or revoked API key', async () => {
    const viewer = await createViewer();
    expect(
      dataOf(await server.request(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { variables: { id: viewer.id } })).revokeApiKey,
    ).toBe(true);
    const socket = track(open(server, { authorization: `Bearer ${viewer.key}` }));
    expect(await socket.closed).toEqual({ code: 4401, reason: 'Unauthorized: unknown or revoked API key' });
  });

  it('the graphql-ws client does not retry 4401, even with retries allowed', async () => {
    let connecting = 0;
    const refused = new Promise<Closed>((resolve) => {
      const client = createClient({
        url: wsUrlOf(server),
        webSocketImpl: WebSocket,
        lazy: false,
        retryAttempts: 5,
        connectionParams: { authorization: 'Bearer gp_never_issued_0000000000000000' },
        on: { connecting: () => (connecting += 1) },
        // Called once the client gives up: at once for a code it never retries, after every retry otherwise.
        onNonLazyError: (error) => resolve(error as Closed),
      });
      sockets.push({ client, connected: new Promise(() => {}), closed: new Promise(() => {}), wasConnected: () => false });
    });
    expect(await refused).toMatchObject({ code: 4401 });
    expect(connecting).toBe(1);
  });

  it('a page of another Origin: 4403 origin not allowed, before connection_init is answered', async () => {
    const socket = track(open(server, { authorization: `Bearer ${TEST_ADMIN_KEY}` }, 'https://evil.example'));
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
    const fromPage = track(open(server, { authorization: `Bearer ${TEST_ADMIN_KEY}` }, ALLOWED_ORIGIN));
    await fromPage.connected;
    expect((await query(fromPage)).errors).toEqual([]);
    const noOrigin = track(open(server, { authorization: `Bearer ${TEST_ADMIN_KEY}` }));
    await noOrigin.connected;
    expect((await query(noOrigin)).errors).toEqual([]);
  });
});

describe('a key revoked while its socket is open', () => {
  it('the next operation answers UNAUTHENTICATED', async () => {
    const viewer = await createViewer();
    const socket = track(open(server, { Authorization: `Bearer ${viewer.key}` }));
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
