import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { createClient } from 'graphql-ws';
import { map } from 'rxjs';

/**
 * A page of another origin using graphpulse the way a dashboard would: Apollo Client
 * with automatic persisted queries over HTTP, graphql-ws for subscriptions with the key in
 * connectionParams. test/browser/apollo-client.test.ts serves it from a static server of
 * its own and calls `window.apolloPage`. The API URL and key come in the query string.
 */

const STORE_DASHBOARD = gql`
  query StoreDashboard($range: DateRange!) {
    stores(first: 20) {
      totalCount
      edges {
        node {
          id
          name
          city
          revenue(range: $range) {
            total
            orders
            averageTicket
          }
          topProducts(range: $range, limit: 3) {
            unitsSold
            revenue
            margin
            product {
              name
              category {
                name
              }
            }
          }
          inventory(status: LOW, first: 5) {
            onHand
            reorderPoint
            daysOfCover
            product {
              sku
              name
            }
          }
        }
      }
    }
  }
`;
const GENERATE_REPORT = gql`
  mutation GenerateReport($range: DateRange!) {
    generateReport(kind: DAILY_SALES, range: $range, storeIds: ["1"]) {
      id
    }
  }
`;
const JOB_EVENTS = gql`
  subscription JobEvents($jobId: ID!) {
    jobEvents(jobId: $jobId) {
      jobId
      type
    }
  }
`;

interface DateRange {
  from: string;
  to: string;
}

const params = new URLSearchParams(location.search);
const api = new URL(params.get('api') ?? '');
const key = params.get('key') ?? '';
const wsUrl = new URL(api);
wsUrl.protocol = api.protocol === 'https:' ? 'wss:' : 'ws:';

/** X-Cache of the last HTTP response per operation name (read through a link, as a dashboard would). */
const xCacheOf = new Map<string, string | null>();
const readXCache = new ApolloLink((operation, forward) =>
  forward(operation).pipe(
    map((result) => {
      const response = operation.getContext().response as Response | undefined;
      xCacheOf.set(operation.operationName ?? '', response?.headers.get('x-cache') ?? null);
      return result;
    }),
  ),
);

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Close codes of the WebSocket, as graphql-ws reports them (4403: origin refused). */
const closeCodes: number[] = [];
const wsClient = createClient({
  url: wsUrl.href,
  connectionParams: { authorization: `Bearer ${key}` },
  retryAttempts: 0,
  on: { closed: (event) => void closeCodes.push((event as CloseEvent).code) },
});

const http = ApolloLink.from([
  readXCache,
  // Hash-only GETs, as the README recommends: the browser can revalidate them (ETag / 304).
  new PersistedQueryLink({ sha256, useGETForHashedQueries: true }),
  new HttpLink({ uri: api.href, headers: { authorization: `Bearer ${key}` } }),
]);
const isSubscription = ({ query }: ApolloLink.Operation) => {
  const definition = getMainDefinition(query);
  return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
};
const client = new ApolloClient({ link: ApolloLink.split(isSubscription, new GraphQLWsLink(wsClient), http), cache: new InMemoryCache() });

const apolloPage = {
  /** The README's StoreDashboard, always from the network (never Apollo's cache), and the response's X-Cache. */
  async dashboard(range: DateRange) {
    const { data } = await client.query({ query: STORE_DASHBOARD, variables: { range }, fetchPolicy: 'network-only' });
    return { data, xCache: xCacheOf.get('StoreDashboard') ?? null };
  },
  async startReport(range: DateRange): Promise<string> {
    const { data } = await client.mutate<{ generateReport: { id: string } }>({ mutation: GENERATE_REPORT, variables: { range } });
    return data!.generateReport.id;
  },
  /** The event types of a job until the subscription completes or fails (with the socket's close codes). */
  jobEvents(jobId: string): Promise<{ types: string[]; error: string | null; closeCodes: number[] }> {
    return new Promise((resolve) => {
      const types: string[] = [];
      client.subscribe<{ jobEvents: { type: string } }>({ query: JOB_EVENTS, variables: { jobId } }).subscribe({
        next: ({ data, error }) => {
          if (data) types.push(data.jobEvents.type);
          if (error) resolve({ types, error: error.message, closeCodes });
        },
        error: (error: unknown) => resolve({ types, error: error instanceof Error ? error.message : String(error), closeCodes }),
        complete: () => resolve({ types, error: null, closeCodes }),
      });
    });
  },
};

declare global {
  interface Window {
    apolloPage?: typeof apolloPage;
  }
}
window.apolloPage = apolloPage;
