import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { SecurityLimits } from './limits.js';

function limitError(message: string, limit: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit } });
}

/**
 * Walks a selection set through fragments (each fragment at most once per path, so
 * circular fragments cannot loop here; NoFragmentCycles reports them).
 */
function measure(
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  visiting: Set<string>,
  depth: number,
  totals: { maxDepth: number; aliases: number },
): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.alias) totals.aliases += 1;
      if (selection.selectionSet) {
        totals.maxDepth = Math.max(totals.maxDepth, depth + 1);
        measure(selection.selectionSet, fragments, visiting, depth + 1, totals);
      }
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      measure(selection.selectionSet, fragments, visiting, depth, totals);
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || visiting.has(name)) continue;
      visiting.add(name);
      measure(fragment.selectionSet, fragments, visiting, depth, totals);
      visiting.delete(name);
    }
  }
}

/** Depth (nested selection sets) and alias count per operation. */
function depthAndAliasRule(limits: SecurityLimits): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const fragments = new Map(
        context.getDocument().definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
      );
      const totals = { maxDepth: 0, aliases: 0 };
      measure(operation.selectionSet, fragments, new Set(), 0, totals);
      const name = operation.name?.value ?? 'anonymous operation';
      if (totals.maxDepth > limits.maxDepth) {
        context.reportError(limitError(`${name} is nested ${totals.maxDepth} levels deep; the limit is ${limits.maxDepth}`, 'depth'));
      }
      if (totals.aliases > limits.maxAliases) {
        context.reportError(limitError(`${name} uses ${totals.aliases} aliases; the limit is ${limits.maxAliases}`, 'aliases'));
      }
    },
  });
}

/** Directives on one field, and repeats of one response key in one selection set. */
function fieldRepetitionRule(limits: SecurityLimits): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    Field(node) {
      const count = node.directives?.length ?? 0;
      if (count > limits.maxDirectivesPerField) {
        context.reportError(
          limitError(`field ${node.name.value} carries ${count} directives; the limit is ${limits.maxDirectivesPerField}`, 'directives'),
        );
      }
    },
    SelectionSet(node) {
      const seen = new Map<string, number>();
      for (const selection of node.selections) {
        if (selection.kind !== Kind.FIELD) continue;
        const key = selection.alias?.value ?? selection.name.value;
        const repeats = (seen.get(key) ?? 0) + 1;
        seen.set(key, repeats);
        if (repeats === limits.maxRepeatsPerField + 1) {
          context.reportError(
            limitError(`field ${key} is selected more than ${limits.maxRepeatsPerField} times in one selection set`, 'duplicateFields'),
          );
        }
      }
    },
  });
}

/** The static rules, the same for HTTP (Apollo validationRules) and WebSocket (graphql-ws onSubscribe). */
export function securityValidationRules(limits: SecurityLimits): ValidationRule[] {
  return [depthAndAliasRule(limits), fieldRepetitionRule(limits)];
}
