import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type DocumentNode,
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
        // Introspection's `ofType` unwraps a list or non-null type: a chain of single objects, never a
        // fan-out, so it adds no depth (the standard introspection query nests it 7 deep and stays
        // within 8 this way). No field of our schema is named ofType.
        const below = selection.name.value === 'ofType' ? depth : depth + 1;
        totals.maxDepth = Math.max(totals.maxDepth, below);
        measure(selection.selectionSet, fragments, visiting, below, totals);
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

/** Directives on one field, and repeats of one response key in one selection set, anywhere in the document. */
function repetitionErrors(document: DocumentNode, limits: SecurityLimits): GraphQLError[] {
  const errors: GraphQLError[] = [];
  const walk = (selectionSet: SelectionSetNode): void => {
    const seen = new Map<string, number>();
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const directives = selection.directives?.length ?? 0;
        if (directives > limits.maxDirectivesPerField) {
          errors.push(
            limitError(
              `field ${selection.name.value} carries ${directives} directives; the limit is ${limits.maxDirectivesPerField}`,
              'directives',
            ),
          );
        }
        const key = selection.alias?.value ?? selection.name.value;
        const repeats = (seen.get(key) ?? 0) + 1;
        seen.set(key, repeats);
        if (repeats === limits.maxRepeatsPerField + 1) {
          errors.push(
            limitError(`field ${key} is selected more than ${limits.maxRepeatsPerField} times in one selection set`, 'duplicateFields'),
          );
        }
      }
      if (selection.kind !== Kind.FRAGMENT_SPREAD && selection.selectionSet) walk(selection.selectionSet);
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) walk(definition.selectionSet);
  }
  return errors;
}

/**
 * Every limit a document breaks, found by plain walks over the AST (linear, no schema):
 * cheap enough to run before the standard validation, which some attacks make quadratic.
 */
export function documentLimitErrors(document: DocumentNode, limits: SecurityLimits): GraphQLError[] {
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  const errors: GraphQLError[] = [];
  for (const operation of document.definitions) {
    if (operation.kind !== Kind.OPERATION_DEFINITION) continue;
    const totals = { maxDepth: 0, aliases: 0 };
    measure(operation.selectionSet, fragments, new Set(), 0, totals);
    const name = operation.name?.value ?? 'anonymous operation';
    if (totals.maxDepth > limits.maxDepth)
      errors.push(limitError(`${name} is nested ${totals.maxDepth} levels deep; the limit is ${limits.maxDepth}`, 'depth'));
    if (totals.aliases > limits.maxAliases)
      errors.push(limitError(`${name} uses ${totals.aliases} aliases; the limit is ${limits.maxAliases}`, 'aliases'));
  }
  return [...errors, ...repetitionErrors(document, limits)];
}

/** The same checks as a validation rule (Apollo's validationRules, graphql-ws onSubscribe). */
export function securityValidationRules(limits: SecurityLimits): ValidationRule[] {
  return [
    (context: ValidationContext): ASTVisitor => ({
      Document(node) {
        for (const error of documentLimitErrors(node, limits)) context.reportError(error);
      },
    }),
  ];
}
