import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { ErrorCode } from '../errors.js';
import type { RequestContext } from '../context.js';
import { LRUCache } from 'lru-cache';
import { argsKey, queryHash } from '../cache/keys.js';
import { costVariablesOf } from './cost.js';
import { checkOperation } from './operation-guard.js';

const SUGGESTION = / Did you mean .+\?$/;

/** Variables with every array longer than one item cut to its first item (same types, same cost). */
export function compactVariables(variables: Record<string, unknown>): Record<string, unknown> {
  let compacted: Record<string, unknown> | null = null;
  for (const [name, value] of Object.entries(variables)) {
    if (Array.isArray(value) && value.length > 1) (compacted ??= { ...variables })[name] = value.slice(0, 1);
  }
  return compacted ?? variables;
}

/** The key part for the variables the cost depends on (costVariablesOf); '' when it depends on none. */
function costKey(document: Parameters<typeof costVariablesOf>[0], variables: Record<string, unknown>): string {
  const names = costVariablesOf(document);
  if (names.length === 0) return '';
  const relevant: Record<string, unknown> = {};
  for (const name of names) relevant[name] = variables[name];
  return argsKey(relevant);
}

/**
 * Runs the per-request rules after validation and before any resolver (introspection
 * policy, cost), reports the cost in `extensions.cost`, and in production removes
 * field suggestions from errors for everyone but admins.
 */
export function securityPlugin(
  schema: GraphQLSchema,
  options: { production: boolean; maxCost: number },
): ApolloServerPlugin<RequestContext> {
  // Accepted checks are remembered per query text, the variables the cost depends on and
  // admin-ness: a dashboard repeating one query pays a lookup, not a walk of the document.
  const accepted = new LRUCache<string, number>({ max: 5_000 });
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operationName, request, contextValue, source }) {
          // Cost never depends on how many items an input list holds (1,000 ingested events cost
          // what one does), so long input lists are cut to one item before hashing or coercing.
          const variables = compactVariables(request.variables ?? {});
          // `source`: a hash-only persisted query has no request.query, only the text Apollo resolved.
          const text = request.query ?? source;
          const memoKey = text
            ? `${contextValue.principal?.role === 'ADMIN' ? 'a' : 'u'}:${queryHash(text)}:${costKey(document, variables)}:${operationName ?? ''}`
            : null;
          const known = memoKey === null ? undefined : accepted.get(memoKey);
          if (known !== undefined) {
            contextValue.cost = { requested: known, limit: options.maxCost };
            return;
          }
          try {
            const { cost, variablesRefused } = checkOperation({
              schema,
              document,
              operationName,
              variables,
              principal: contextValue.principal,
              production: options.production,
              maxCost: options.maxCost,
            });
            contextValue.cost = { requested: cost, limit: options.maxCost };
            if (memoKey !== null && !variablesRefused) accepted.set(memoKey, cost);
          } catch (error) {
            // Refused before execution: the whole request failed, so say it in the HTTP status too.
            if (error instanceof GraphQLError && !error.extensions.http) {
              const status = error.extensions.code === ErrorCode.FORBIDDEN ? 403 : 400;
              (error.extensions as Record<string, unknown>).http = { status };
            }
            throw error;
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          if (contextValue.cost) result.extensions = { ...result.extensions, cost: contextValue.cost };
          if (options.production && contextValue.principal?.role !== 'ADMIN' && result.errors) {
            result.errors = result.errors.map((error) => ({ ...error, message: error.message.replace(SUGGESTION, '') }));
          }
        },
      };
    },
  };
}
