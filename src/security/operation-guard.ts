import { Kind, visit, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Principal } from '../auth/principal.js';
import { BadUserInputError, ForbiddenError, QueryTooComplexError } from '../errors.js';
import { MAX_PAGE_SIZE } from '../schema/arguments.js';
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

/** `first` / `limit` above the cap, literal or through a variable, refused before anything runs. */
function checkPageArguments(document: DocumentNode, variables: Record<string, unknown>): void {
  visit(document, {
    Argument(node) {
      if (node.name.value !== 'first' && node.name.value !== 'limit') return;
      const value =
        node.value.kind === Kind.INT
          ? Number(node.value.value)
          : node.value.kind === Kind.VARIABLE
            ? variables[node.value.name.value]
            : undefined;
      if (typeof value === 'number' && value > MAX_PAGE_SIZE) {
        throw new BadUserInputError(`${node.name.value} must be at most ${MAX_PAGE_SIZE}, got ${value}`, { argument: node.name.value });
      }
    },
  });
}

/**
 * The per-request rules that need the caller or the variables, run after validation and
 * before any resolver, the same on HTTP and WebSocket: introspection only for admins in
 * production, and the cost limit. Returns the operation's cost (0, flagged, when the
 * variables do not coerce).
 */
export function checkOperation(check: OperationCheck): { cost: number; variablesRefused?: true } {
  if (check.production && check.principal?.role !== 'ADMIN' && usesIntrospection(check.document)) {
    throw new ForbiddenError('Introspection is disabled in production except for ADMIN keys');
  }
  checkPageArguments(check.document, check.variables);
  const operations = check.document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length === 0) return { cost: 0 };
  let cost: number;
  try {
    cost = operationCost(check.schema, check.document, check.variables, check.operationName);
  } catch (error) {
    // Variables that do not coerce: execution refuses them with BAD_USER_INPUT before any resolver runs.
    // Not a cost to remember: the same document with valid variables has its real cost.
    if (error instanceof Error && 'extensions' in error) return { cost: 0, variablesRefused: true };
    throw error;
  }
  if (cost > check.maxCost) {
    throw new QueryTooComplexError(
      `Query cost ${cost} exceeds the limit of ${check.maxCost}; ask for fewer items (first/limit) or fewer analytic fields`,
      {
        cost,
        limit: check.maxCost,
      },
    );
  }
  return { cost };
}
