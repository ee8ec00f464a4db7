import { randomUUID } from 'node:crypto';
import { GraphQLError, parse, specifiedRules, validate, type DocumentNode, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import type { Principal } from '../auth/principal.js';
import { createRequestContext } from '../context.js';
import { ErrorCode, RateLimitedError, isPublicError } from '../errors.js';
import type { Services } from '../services.js';
import type { SecurityLimits } from '../security/limits.js';
import { checkOperation } from '../security/operation-guard.js';
import { documentLimitErrors } from '../security/validation-rules.js';

export interface WsPayload {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

export interface WsOperationOptions {
  schema: GraphQLSchema;
  services: Services;
  limits: SecurityLimits;
  production: boolean;
}

const withCode = (error: GraphQLError, code: ErrorCode, requestId: string) =>
  new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    extensions: { ...error.extensions, code, requestId },
  });

/**
 * What Apollo does for HTTP before any resolver runs, for one graphql-ws subscribe
 * message (graphql-ws runs none of Apollo's plugins): rate limit, parse with the token
 * limit, the document limits before the (quadratic-prone) standard validation, then
 * the introspection policy and the cost limit. Returns execution arguments, or the
 * errors to send (graphql-ws sends them as an `error` message).
 */
export async function prepareWsOperation(
  options: WsOperationOptions,
  principal: Principal,
  payload: WsPayload,
): Promise<ExecutionArgs | readonly GraphQLError[]> {
  const requestId = randomUUID();
  const decision = await options.services.rateLimiter.take(principal);
  if (!decision.allowed) {
    return [new RateLimitedError(decision.retryAfterMs, options.services.config.RATE_LIMITS[principal.role] ?? 0)];
  }
  let document: DocumentNode;
  try {
    document = parse(payload.query, { maxTokens: options.limits.maxTokens });
  } catch (error) {
    if (error instanceof GraphQLError) return [withCode(error, ErrorCode.GRAPHQL_PARSE_FAILED, requestId)];
    throw error;
  }
  const limitErrors = documentLimitErrors(document, options.limits);
  if (limitErrors.length) return limitErrors.map((e) => withCode(e, ErrorCode.GRAPHQL_VALIDATION_FAILED, requestId));
  const invalid = validate(options.schema, document, specifiedRules);
  if (invalid.length) return invalid.map((e) => withCode(e, ErrorCode.GRAPHQL_VALIDATION_FAILED, requestId));
  const variables = payload.variables ?? {};
  try {
    checkOperation({
      schema: options.schema,
      document,
      operationName: payload.operationName,
      variables,
      principal,
      production: options.production,
      maxCost: options.limits.maxCost,
    });
  } catch (error) {
    if (isPublicError(error)) return [error];
    throw error;
  }
  return {
    schema: options.schema,
    document,
    operationName: payload.operationName,
    variableValues: variables,
    contextValue: createRequestContext(options.services, principal, requestId),
  };
}
