import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../context.js';
import { isPublicError } from '../errors.js';
import type { Logger } from '../logger.js';
import { isDatabaseUnavailable, originalOf } from './format-error.js';
import { cacheSummary } from '../metrics/cache-summary.js';

/**
 * One log line per operation (request id, operation, duration, outcome, what the cache did); the whole of
 * every unexpected error goes to the log with the request id, and every error the
 * client gets carries that id so the two can be matched.
 */
export function requestPlugin(logger: Logger): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      const requestId = contextValue.requestId;
      return {
        async didEncounterErrors({ errors, operationName }) {
          for (const error of errors) {
            const original = originalOf(error);
            if (isPublicError(original) || !(original instanceof Error) || original === error) continue;
            // An outage of Postgres is expected trouble (answered SERVICE_UNAVAILABLE): a warning, not an error per request.
            if (isDatabaseUnavailable(original))
              logger.warn(
                {
                  requestId,
                  operationName,
                  path: error.path,
                  err: { code: (original as { code?: string }).code, message: original.message },
                },
                'database unavailable',
              );
            else logger.error({ requestId, operationName, path: error.path, err: original }, 'unexpected error while resolving');
          }
        },
        async willSendResponse({ response, operationName, errors }) {
          if (response.body.kind === 'single' && response.body.singleResult.errors) {
            for (const error of response.body.singleResult.errors) {
              (error as { extensions?: Record<string, unknown> }).extensions = { ...error.extensions, requestId };
            }
          }
          response.http.headers.set('x-request-id', requestId);
          // The line's fields (the cache summary above all) cost more than the check.
          if (!logger.isLevelEnabled('info')) return;
          logger.info(
            {
              requestId,
              operationName: operationName ?? null,
              durationMs: Math.round((performance.now() - started) * 100) / 100,
              errors: errors?.length ?? 0,
              status: response.http.status ?? 200,
              key: contextValue.principal?.keyId ?? null,
              cache: cacheSummary(contextValue.cacheOutcomes),
            },
            'graphql request',
          );
        },
      };
    },
  };
}
