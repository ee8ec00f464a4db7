import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { getNamedType, getNullableType, isLeafType, isListType, Kind, visit, type DocumentNode, type GraphQLSchema } from 'graphql';

/**
 * What a field costs before its children: scalars nothing, objects 1; analytic
 * (aggregating) fields declare ANALYTIC_COST through @Cached({ cost }).
 */
export const COSTS = { scalar: 0, object: 1, unsizedList: 10 } as const;
export const ANALYTIC_COST = 10;

/**
 * Cost with page-size multipliers: a field's own cost plus its children's, times
 * `first` / `limit` when it has one (compounding through nested lists); a list with no
 * size argument counts as COSTS.unsizedList items. Connection `edges` are sized by the
 * connection's `first`, so they do not multiply again.
 */
const estimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  // Introspection (__schema, __type and the fields of __Type & co.) reads the schema in memory, not
  // data: no list multipliers, or an IDE's standard introspection query would cost ~16,000. Its
  // depth stays limited (validation-rules.ts) and production allows it to ADMIN keys only.
  if (field.name.startsWith('__') || type.name.startsWith('__')) return childComplexity;
  const named = getNamedType(field.type);
  // Aggregating fields declare their weight (@Cached({ cost })); lookups and scalars take the defaults.
  const declared = (field.extensions as { cost?: unknown } | undefined)?.cost;
  const own = typeof declared === 'number' ? declared : isLeafType(named) ? COSTS.scalar : COSTS.object;
  let size = 1;
  if (typeof args.first === 'number') size = args.first;
  else if (typeof args.limit === 'number') size = args.limit;
  else if (isListType(getNullableType(field.type)) && !type.name.endsWith('Connection') && !isLeafType(named)) size = COSTS.unsizedList;
  return (own + childComplexity) * Math.max(size, 1);
};

export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown>,
  operationName?: string | null,
): number {
  return getComplexity({ schema, query: document, variables, operationName: operationName ?? undefined, estimators: [estimator] });
}

const costVariables = new WeakMap<DocumentNode, readonly string[]>();

/**
 * The variables an operation's cost and page checks can depend on: those passed as
 * `first` / `limit` (list sizes) or as the condition of @include / @skip (which fields
 * count). Every other variable (a store id, a date range) leaves the cost unchanged, so
 * the accepted-cost memo is keyed by these alone and a dashboard asking a new range each
 * time still pays a lookup, not a walk of the document. Computed once per document.
 */
export function costVariablesOf(document: DocumentNode): readonly string[] {
  let names = costVariables.get(document);
  if (names) return names;
  const found = new Set<string>();
  visit(document, {
    Argument(node) {
      if (node.value.kind === Kind.VARIABLE && (node.name.value === 'first' || node.name.value === 'limit'))
        found.add(node.value.name.value);
    },
    Directive(node) {
      if (node.name.value !== 'include' && node.name.value !== 'skip') return;
      for (const argument of node.arguments ?? []) if (argument.value.kind === Kind.VARIABLE) found.add(argument.value.name.value);
    },
  });
  names = [...found].sort();
  costVariables.set(document, names);
  return names;
}
