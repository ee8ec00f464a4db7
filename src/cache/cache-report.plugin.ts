import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../context.js';

/**
 * Says what the cache did: `extensions.cache` lists each cached path with its tier,
 * age and staleness; `X-Cache: HIT` when everything came from the cache (the request's
 * RequestCacheRecord decides: every @cached field hit and nothing was read around them),
 * `MISS` otherwise.
 */
export function cacheReportPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          const record = contextValue.cacheRecord;
          response.http.headers.set('x-cache', record.everythingHit() ? 'HIT' : 'MISS');
          const outcomes = record.fields;
          if (response.body.kind !== 'single' || outcomes.length === 0) return;
          const hits = outcomes.filter((o) => o.tier !== 'MISS').length;
          response.body.singleResult.extensions = {
            ...response.body.singleResult.extensions,
            cache: {
              hits,
              misses: outcomes.length - hits,
              fields: outcomes.map((o) => ({ path: o.path, tier: o.tier, age: o.age, stale: o.stale })),
            },
          };
        },
      };
    },
  };
}
