import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../context.js';
import type { OperationCache } from './operation-cache.js';
import { operationHash } from './operation-entry.js';

/**
 * After an execution in which every data access happened inside @cached fields and
 * nothing failed, stores the serialized response as an operation entry for the hot
 * path, and marks the response cacheable (ETag, Cache-Control).
 */
export function operationStorePlugin(operations: OperationCache): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ request }) {
      return {
        async willSendResponse({ response, contextValue, operation, source }) {
          // The text Apollo ran: a hash-only persisted query has none in the request, only its resolved source.
          const query = request.query ?? source;
          const principal = contextValue.principal;
          if (!principal || !contextValue.reader || operation?.operation !== 'query' || !query) return;
          if (response.body.kind !== 'single' || response.body.singleResult.errors?.length) return;
          if (!contextValue.cacheRecord.everythingCached()) return;
          const result = response.body.singleResult;
          // From the context, not extensions.cost: this plugin must not depend on running after the security plugin.
          const cost = contextValue.cost;
          // Served bytes cannot vary per request: extensions.cache names the cached paths at tier
          // OPERATION, and the Age header (set per hit) says how old the entry is.
          const cache = {
            hits: contextValue.cacheOutcomes.length,
            misses: 0,
            operation: true,
            fields: contextValue.cacheOutcomes.map((o) => ({ path: o.path, tier: 'OPERATION' })),
          };
          const body = JSON.stringify({ data: result.data, extensions: { cost: cost ?? undefined, cache } });
          const hash = operationHash(query, request.variables, request.operationName);
          const stored = operations.store(hash, principal, body, contextValue.cacheOutcomes, cost?.requested ?? 0, contextValue.startedAt);
          if (!stored) return;
          response.http.headers.set('etag', stored.entry.etag);
          // Every request carries a key: only the caller's own browser cache may keep it (and revalidate with the ETag).
          response.http.headers.set('cache-control', `private, max-age=${stored.maxAge}`);
        },
      };
    },
  };
}
