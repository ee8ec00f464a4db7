import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../context.js';
import type { HttpRecorder } from './http-recorder.js';

/**
 * What only Apollo knows about an HTTP request: whether a response with status < 400
 * carried GraphQL errors (a FORBIDDEN field, a resolver failure). Statuses, counts and
 * latency come from the route wrapper; resolver timing from the schema wrapper (cheaper
 * than willResolveField, which runs for every field). Operations Apollo runs without
 * HTTP (hot-path refreshes) are not requests and are skipped.
 */
export function apolloMetricsPlugin(http: HttpRecorder): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ request }) {
      if (!request.http) return;
      return {
        async willSendResponse({ response, errors }) {
          if (errors?.length && (response.http.status ?? 200) < 400) http.erroredBelow400();
        },
      };
    },
  };
}
