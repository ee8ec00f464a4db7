import { Kind, visit, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Principal } from '../auth/principal.js';
import { ForbiddenError, QueryTooComplexError } from '../errors.js';
import { operationCost } from './cost.js';

export interface OperationCheck {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variables: Record<string, unknown>;
  principal: Principal | null;
  production: boolean;
  maxCost: number;
}

function usesIntrospection(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') found = true;
    },
  });
  return found;
}

/**
 * The per-request rules that need the caller or the variables, run after validation and
 * before any resolver, the same on HTTP and WebSocket: introspection only for admins in
 * production, and the cost limit. Returns the operation's cost.
 */
export function checkOperation(check: OperationCheck): { cost: number } {
  if (check.production && check.principal?.role !== 'ADMIN' && usesIntrospection(check.document)) {
    throw new ForbiddenError('Introspection is disabled in production except for ADMIN keys');
  }
  const operations = check.document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length === 0) return { cost: 0 };
  let cost: number;
  try {
    cost = operationCost(check.schema, check.document, check.variables, check.operationName);
  } catch (error) {
    // Variables that do not coerce: execution refuses them with BAD_USER_INPUT before any resolver runs.
    if (error instanceof Error && 'extensions' in error) return { cost: 0 };
    throw error;
  }
  if (cost > check.maxCost) {
    throw new QueryTooComplexError(`Query cost ${cost} exceeds the limit of ${check.maxCost}; ask for fewer items (first/limit) or fewer analytic fields`, {
      cost,
      limit: check.maxCost,
    });
  }
  return { cost };
}
