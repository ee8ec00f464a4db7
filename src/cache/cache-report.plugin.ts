import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../context.js';

/**
 * Says what the cache did: `extensions.cache` lists each cached path with its tier,
 * age and staleness; `X-Cache: HIT` when every cached field hit, `MISS` otherwise.
 */
export function cacheReportPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          const outcomes = contextValue.cacheOutcomes;
          const hits = outcomes.filter((o) => o.tier !== 'MISS').length;
          const allHit = outcomes.length > 0 && hits === outcomes.length;
          response.http.headers.set('x-cache', allHit ? 'HIT' : 'MISS');
          if (response.body.kind !== 'single' || outcomes.length === 0) return;
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
