import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import type { RequestContext } from '../context.js';
import { checkOperation } from './operation-guard.js';

const SUGGESTION = / Did you mean .+\?$/;

/**
 * Runs the per-request rules after validation and before any resolver (introspection
 * policy, cost), reports the cost in `extensions.cost`, and in production removes
 * field suggestions from errors for everyone but admins.
 */
export function securityPlugin(schema: GraphQLSchema, options: { production: boolean; maxCost: number }): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      let cost: number | null = null;
      return {
        async didResolveOperation({ document, operationName, request, contextValue }) {
          cost = checkOperation({
            schema,
            document,
            operationName,
            variables: request.variables ?? {},
            principal: contextValue.principal,
            production: options.production,
            maxCost: options.maxCost,
          }).cost;
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          if (cost !== null) result.extensions = { ...result.extensions, cost: { requested: cost, limit: options.maxCost } };
          if (options.production && contextValue.principal?.role !== 'ADMIN' && result.errors) {
            result.errors = result.errors.map((error) => ({ ...error, message: error.message.replace(SUGGESTION, '') }));
          }
        },
      };
    },
  };
}
