import { createGraphiQLFetcher, type Fetcher } from '@graphiql/toolkit';
import { GraphQLError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { lacksKey } from './request-headers.js';

export interface KeyedFetcher {
  fetcher: Fetcher;
  /** Closes the fetcher's WebSocket (a new key gets a new one). */
  dispose(): void;
}

const MISSING_KEY = {
  errors: [new GraphQLError('Put your API key after "Bearer " in the Headers tab (below the operation editor), then run again.')],
};

/**
 * GraphiQL's fetcher for one Authorization value. Queries and mutations go over HTTP
 * with the header editor's headers; subscriptions over graphql-ws, whose server reads
 * the key once, from connectionParams at connection_init — so each key gets its own
 * lazy WebSocket client, and the page makes a new fetcher when the key changes.
 */
export function keyedFetcher(endpoint: string, authorization: string): KeyedFetcher {
  const httpUrl = new URL(endpoint, document.baseURI);
  const wsUrl = new URL(httpUrl);
  wsUrl.protocol = httpUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  const wsClient: Client = createClient({
    url: wsUrl.href,
    lazy: true,
    connectionParams: () => (authorization ? { authorization } : {}),
  });
  const inner = createGraphiQLFetcher({ url: httpUrl.href, wsClient, enableIncrementalDelivery: false });
  const fetcher: Fetcher = (params, options) => {
    const given = Object.entries(options?.headers ?? {}).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
    if (lacksKey(typeof given === 'string' ? given : undefined)) return Promise.resolve(MISSING_KEY);
    return inner(params, options);
  };
  return { fetcher, dispose: () => void wsClient.dispose() };
}
