import { print, type DocumentNode } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket, { type ClientOptions } from 'ws';
import type { TestServer } from './test-server.js';

/** A real graphql-ws client against a listening test server, and the results of its operations. */

export const wsUrlOf = (server: TestServer) => server.url.replace(/^http/, 'ws');

export interface WsClosed {
  code: number;
  reason: string;
}

export interface WsConnection {
  client: Client;
  /** Resolves once the server acknowledged connection_init. */
  connected: Promise<void>;
  /** Resolves with the close code and reason once the socket closes. */
  closed: Promise<WsClosed>;
  wasConnected: () => boolean;
}

/**
 * A graphql-ws client with exactly these connectionParams, connecting at once and with no
 * retries, so a refusal shows as the close. `socket` goes to the WebSocket of the upgrade
 * request (an origin, headers).
 */
export function openWs(server: TestServer, connectionParams: Record<string, unknown> | undefined, socket?: ClientOptions): WsConnection {
  let resolveConnected!: () => void;
  let resolveClosed!: (closed: WsClosed) => void;
  const connected = new Promise<void>((resolve) => (resolveConnected = resolve));
  const closed = new Promise<WsClosed>((resolve) => (resolveClosed = resolve));
  let acked = false;
  const impl = socket
    ? class extends WebSocket {
        constructor(url: string, protocols?: string | string[]) {
          super(url, protocols, socket);
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
        const { code, reason } = event as WsClosed;
        resolveClosed({ code, reason });
      },
    },
    onNonLazyError: () => {},
  });
  return { client, connected, closed, wasConnected: () => acked };
}

export interface Collected<T> {
  items: T[];
  errors: unknown[];
  completed: boolean;
  /** Resolves with the items once `predicate` holds for them (rejects after `timeoutMs`). */
  until(predicate: (items: T[]) => boolean, timeoutMs?: number): Promise<T[]>;
  stop(): void;
}

/** Runs one operation and collects its results (data or errors) as they come. */
export function collect<T>(
  client: Client,
  document: DocumentNode | string,
  variables: Record<string, unknown> = {},
  pick: (data: any) => T = (d) => d,
): Collected<T> {
  const checks = new Set<() => void>();
  const state: Collected<T> = {
    items: [],
    errors: [],
    completed: false,
    until: (predicate, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(state.items)) {
            checks.delete(check);
            clearTimeout(timer);
            resolve(state.items);
          } else if (state.errors.length) {
            checks.delete(check);
            clearTimeout(timer);
            reject(new Error(`subscription failed: ${JSON.stringify(state.errors)}`));
          }
        };
        const timer = setTimeout(() => {
          checks.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms; got ${JSON.stringify(state.items, null, 1)}`));
        }, timeoutMs);
        checks.add(check);
        check();
      }),
    stop: () => unsubscribe(),
  };
  const notify = () => [...checks].forEach((c) => c());
  const query = typeof document === 'string' ? document : print(document);
  const unsubscribe = client.subscribe(
    { query, variables },
    {
      next: (result) => {
        if (result.errors?.length) state.errors.push(...result.errors);
        else state.items.push(pick(result.data));
        notify();
      },
      error: (error) => {
        // graphql-ws hands operation errors over as the array of GraphQL errors.
        if (Array.isArray(error)) state.errors.push(...error);
        else state.errors.push(error);
        notify();
      },
      complete: () => {
        state.completed = true;
        notify();
      },
    },
  );
  return state;
}

export interface FirstResult<T> {
  data: T | undefined;
  errors: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/** Runs one query over the socket and returns its first result or errors (none after 5 s: both empty). */
export async function firstResult<T = Record<string, unknown>>(
  connection: { client: Client },
  query: string,
  variables: Record<string, unknown> = {},
): Promise<FirstResult<T>> {
  const op = collect(connection.client, query, variables);
  await op.until((items) => items.length > 0 || op.completed, 5_000).catch(() => undefined);
  op.stop();
  return { data: op.items[0] as T | undefined, errors: op.errors as FirstResult<T>['errors'] };
}
