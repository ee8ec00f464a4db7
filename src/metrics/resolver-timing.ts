import { getNamedType, isInterfaceType, isObjectType, type GraphQLFieldResolver, type GraphQLNamedType, type GraphQLSchema } from 'graphql';
import type { FieldTimings } from './resolver-recorder.js';

/** Times one field's resolver, sync or async, errors counted (installed by composeFieldResolvers). */
export function timedResolver<C>(resolve: GraphQLFieldResolver<unknown, C>, timings: FieldTimings): GraphQLFieldResolver<unknown, C> {
  return (parent, args, ctx, info) => {
    const started = performance.now();
    let result: unknown;
    try {
      result = resolve(parent, args, ctx, info);
    } catch (error) {
      timings.record(performance.now() - started, true);
      throw error;
    }
    if (result !== null && typeof (result as PromiseLike<unknown>)?.then === 'function') {
      return (result as Promise<unknown>).then(
        (value) => {
          timings.record(performance.now() - started, value instanceof Error);
          return value;
        },
        (error: unknown) => {
          timings.record(performance.now() - started, true);
          throw error;
        },
      );
    }
    timings.record(performance.now() - started, result instanceof Error);
    return result;
  };
}

/** Names of the object and interface types reachable from the given root coordinates. */
export function typesBelow(schema: GraphQLSchema, coordinates: string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (type: GraphQLNamedType) => {
    if (seen.has(type.name) || !(isObjectType(type) || isInterfaceType(type))) return;
    seen.add(type.name);
    for (const field of Object.values(type.getFields())) visit(getNamedType(field.type));
  };
  for (const coordinate of coordinates) {
    const [typeName, fieldName] = coordinate.split('.');
    const type = schema.getType(typeName);
    const field = type && isObjectType(type) ? type.getFields()[fieldName] : undefined;
    if (field) visit(getNamedType(field.type));
  }
  return seen;
}
