import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { corsHeadersOf, rawHttp, type RawHttpResponse } from './helpers/raw-http.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

/**
 * CORS on a listening server (CORS_ORIGINS): preflights, exact origins and `*.` patterns,
 * the headers a page may read, refusals without CORS headers logged once per origin,
 * same-origin and Origin-less callers, the development default, Apollo's CSRF prevention,
 * and the WebSocket Origin check that follows the same list.
 */

const LISTED = 'https://app.example.org';
const CONFIGURED = `${LISTED},*.example.com`;

/** Log lines of a server, captured as objects (warn and above). */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

let server: TestServer;
let defaults: TestServer;
const logged = capturingLogger();

beforeAll(async () => {
  server = await startTestServer({ env: { CORS_ORIGINS: CONFIGURED, LOG_LEVEL: 'warn' }, logger: logged.logger });
  // NODE_ENV=test and no CORS_ORIGINS: the development default.
  defaults = await startTestServer({ databaseUrl: server.databaseUrl });
});
afterAll(async () => {
  await defaults?.stop();
  await server?.stop();
});

function preflight(target: TestServer, origin: string): Promise<RawHttpResponse> {
  return rawHttp(target.url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
  });
}

function post(
  target: TestServer,
  headers: Record<string, string>,
  query = '{ stores(first: 1) { totalCount } }',
): Promise<RawHttpResponse> {
  return rawHttp(target.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${target.adminKey}`, ...headers },
    body: JSON.stringify({ query }),
  });
}

function refusalsLoggedFor(origin: string): number {
  return logged.lines.filter((line) => line.origin === origin && /not in CORS_ORIGINS/.test(String(line.msg))).length;
}

describe('preflight', () => {
  it('an allowed origin gets 204 with its origin echoed, the asked headers, the methods, Max-Age and Vary, no credentials', async () => {
    const response = await preflight(server, LISTED);
    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe(LISTED);
    expect(String(response.headers['access-control-allow-headers']).toLowerCase()).toMatch(/authorization.*content-type/);
    expect(String(response.headers['access-control-allow-methods'])).toMatch(/\bPOST\b/);
    expect(String(response.headers['access-control-allow-methods'])).toMatch(/\bGET\b/);
    expect(Number(response.headers['access-control-max-age'])).toBeGreaterThan(0);
    expect(String(response.headers.vary)).toMatch(/\bOrigin\b/);
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
    expect(response.raw.length).toBe(0);
  });

  it('*.example.com matches subdomains at any depth, never the bare domain nor a look-alike', async () => {
    for (const origin of ['https://a.example.com', 'https://deep.a.example.com', 'http://b.example.com']) {
      expect((await preflight(server, origin)).headers['access-control-allow-origin'], origin).toBe(origin);
    }
    for (const origin of [
      'https://example.com.evil.org',
      'https://example.com',
      'https://notexample.com',
      'https://app.example.org:8443',
    ]) {
      const response = await preflight(server, origin);
      expect(response.status, origin).toBe(403);
      expect(corsHeadersOf(response), origin).toEqual({});
    }
  });

  it('a disallowed origin gets no CORS headers, and is logged once however often it calls', async () => {
    const origin = 'https://evil.example.net';
    const refused = await preflight(server, origin);
    expect(refused.status).toBe(403);
    expect(corsHeadersOf(refused)).toEqual({});
    // The request itself still runs (a browser keeps the answer from the page; CSRF is Apollo's check).
    const actual = await post(server, { origin });
    expect(actual.status).toBe(200);
    expect(corsHeadersOf(actual)).toEqual({});
    await post(server, { origin });
    expect(refusalsLoggedFor(origin)).toBe(1);
    await preflight(server, 'https://other.evil.example.net');
    expect(refusalsLoggedFor('https://other.evil.example.net')).toBe(1);
  });
});

describe('actual requests', () => {
  it('an allowed origin can read the cache, revalidation, request-id and rate-limit headers', async () => {
    const response = await post(server, { origin: 'https://a.example.com' });
    expect(response.status).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBe('https://a.example.com');
    const exposed = String(response.headers['access-control-expose-headers'])
      .split(',')
      .map((h) => h.trim().toLowerCase());
    expect(exposed).toEqual(expect.arrayContaining(['x-cache', 'etag', 'age', 'x-request-id', 'retry-after']));
    expect(String(response.headers.vary)).toMatch(/\bOrigin\b/);
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('a same-origin page and a caller without Origin need no CORS headers and are never refused', async () => {
    const own = new URL(server.url).origin;
    const sameOrigin = await post(server, { origin: own });
    expect(sameOrigin.status).toBe(200);
    expect(sameOrigin.json().data.stores.totalCount).toBeGreaterThan(0);
    expect(refusalsLoggedFor(own)).toBe(0);
    const script = await post(server, {});
    expect(script.status).toBe(200);
    expect(corsHeadersOf(script)).toEqual({});
  });

  it("Apollo's CSRF prevention still refuses a simple GET (no preflight-forcing header) from an allowed origin", async () => {
    const response = await rawHttp(`${server.url}?query=${encodeURIComponent('{ stores(first: 1) { totalCount } }')}`, {
      headers: { origin: LISTED },
    });
    expect(response.status).toBe(400);
    expect(response.json().errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(response.json().errors[0].message).toMatch(/Cross-Site Request Forgery/);
    // The same GET with the key (which forces a preflight in a browser) runs.
    const keyed = await rawHttp(`${server.url}?query=${encodeURIComponent('{ stores(first: 1) { totalCount } }')}`, {
      headers: { origin: LISTED, authorization: `Bearer ${server.adminKey}` },
    });
    expect(keyed.status).toBe(200);
    expect(keyed.headers['access-control-allow-origin']).toBe(LISTED);
  });
});

describe('the development default (CORS_ORIGINS unset outside production)', () => {
  it('allows localhost and 127.0.0.1 on any port and Apollo Studio, nothing else', async () => {
    for (const origin of ['http://localhost:5173', 'http://localhost', 'http://127.0.0.1:3000', 'https://studio.apollographql.com']) {
      expect((await preflight(defaults, origin)).headers['access-control-allow-origin'], origin).toBe(origin);
    }
    for (const origin of ['https://evil.example', 'https://studio.apollographql.com.evil.example', 'http://localhost.evil.example:3000']) {
      expect(corsHeadersOf(await preflight(defaults, origin)), origin).toEqual({});
    }
  });
});

/** Opens a graphql-transport-ws socket from `origin` and says whether connection_init was acknowledged, or how it closed. */
function wsHandshake(target: TestServer, origin?: string): Promise<{ acked: true } | { acked: false; code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(target.url.replace(/^http/, 'ws'), 'graphql-transport-ws', origin ? { origin } : {});
    socket.on('error', reject);
    socket.on('open', () =>
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${target.adminKey}` } })),
    );
    socket.on('message', (data) => {
      if (JSON.parse(data.toString()).type !== 'connection_ack') return;
      socket.close(1000);
      resolve({ acked: true });
    });
    socket.on('close', (code, reason) => resolve({ acked: false, code, reason: reason.toString() }));
  });
}

describe('WebSocket Origin check (the same list)', () => {
  it('a disallowed origin is closed with 4403; an allowed one, the same origin and no Origin connect', async () => {
    expect(await wsHandshake(server, 'https://example.com.evil.org')).toEqual({
      acked: false,
      code: 4403,
      reason: 'Forbidden: origin not allowed',
    });
    expect(await wsHandshake(server, 'https://a.example.com')).toEqual({ acked: true });
    expect(await wsHandshake(server, LISTED)).toEqual({ acked: true });
    expect(await wsHandshake(server, new URL(server.url).origin)).toEqual({ acked: true });
    expect(await wsHandshake(server)).toEqual({ acked: true });
  });

  it('unset means the development default, no longer any origin', async () => {
    expect(await wsHandshake(defaults, 'http://localhost:3000')).toEqual({ acked: true });
    expect(await wsHandshake(defaults, 'https://evil.example')).toMatchObject({ acked: false, code: 4403 });
  });
});
