import {
  astFromValue,
  getNamedType,
  isInputObjectType,
  isListType,
  isNonNullType,
  typeFromAST,
  valueFromASTUntyped,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';

type Filler = (value: unknown) => unknown;

/**
 * graphql-jit 0.8 does not apply the default of a non-null input field that is omitted
 * (`channel: Channel! = IN_STORE` is reported as "not provided"), where graphql-js does.
 * For an operation whose variables can reach such a field, this builds a pass that adds
 * the missing defaults (as input values, exactly as a client could have sent them) before
 * the compiled query coerces the variables. Null when no variable needs it.
 */
export function inputDefaultsFiller(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
): ((variables: Record<string, unknown>) => Record<string, unknown>) | null {
  const fillers: Array<[string, Filler]> = [];
  for (const definition of operation.variableDefinitions ?? []) {
    const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
    const filler = type ? fillerFor(type, new Set()) : null;
    if (filler) fillers.push([definition.variable.name.value, filler]);
  }
  if (fillers.length === 0) return null;
  return (variables) => {
    const filled = { ...variables };
    for (const [name, fill] of fillers) if (filled[name] != null) filled[name] = fill(filled[name]);
    return filled;
  };
}

function fillerFor(type: GraphQLInputType, visiting: Set<string>): Filler | null {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) {
    const item = fillerFor(inner.ofType, visiting);
    return item ? (value) => (Array.isArray(value) ? (value as unknown[]).map((v) => (v == null ? v : item(v))) : item(value)) : null;
  }
  const named = getNamedType(inner);
  if (!isInputObjectType(named) || visiting.has(named.name)) return null;
  visiting.add(named.name);
  const defaults: Array<[string, unknown]> = [];
  const nested: Array<[string, Filler]> = [];
  for (const field of Object.values(named.getFields())) {
    if (isNonNullType(field.type) && field.defaultValue !== undefined) {
      const literal = astFromValue(field.defaultValue, field.type);
      if (literal) defaults.push([field.name, valueFromASTUntyped(literal)]);
    }
    const child = fillerFor(field.type, visiting);
    if (child) nested.push([field.name, child]);
  }
  visiting.delete(named.name);
  if (defaults.length === 0 && nested.length === 0) return null;
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const filled: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [name, literal] of defaults) if (!(name in filled)) filled[name] = literal;
    for (const [name, fill] of nested) if (filled[name] != null) filled[name] = fill(filled[name]);
    return filled;
  };
}
