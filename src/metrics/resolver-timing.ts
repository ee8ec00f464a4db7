import {
  getNamedType,
  isInterfaceType,
  isObjectType,
  type GraphQLFieldResolver,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import type { FieldTimings, ResolverRecorder } from './resolver-recorder.js';

/** The root fields that read or reset metrics: they and everything below them are never timed. */
const METRICS_ROOTS = ['Query.metrics', 'Mutation.resetMetrics'];

/**
 * Wraps, once at start, the resolver of every field that does work: root fields, our
 * type-graphql @FieldResolver methods and @cached fields. Default property reads are
 * left alone — timing each of them would cost more than the reads (DESIGN: keep per-field
 * work off trivial fields). Apply after applyCachedFields so cache hits are timed too.
 * Returns the coordinates timed.
 */
export function applyResolverTiming(schema: GraphQLSchema, recorder: ResolverRecorder): string[] {
  const working = fieldResolverCoordinates();
  const excludedTypes = typesBelow(schema, METRICS_ROOTS);
  const roots = new Set([schema.getQueryType(), schema.getMutationType()].filter(Boolean));
  const timed: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || excludedTypes.has(type.name)) continue;
    if (type === schema.getSubscriptionType()) continue; // resolve runs per event; the work is in subscribe
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${type.name}.${field.name}`;
      if (METRICS_ROOTS.includes(coordinate) || !field.resolve) continue;
      const cached = field.astNode?.directives?.some((d) => d.name.value === 'cached') ?? false;
      if (!roots.has(type) && !working.has(coordinate) && !cached) continue;
      field.resolve = timedResolver(field.resolve, recorder.field(coordinate));
      timed.push(coordinate);
    }
  }
  return timed;
}

function timedResolver(resolve: GraphQLFieldResolver<unknown, unknown>, timings: FieldTimings): GraphQLFieldResolver<unknown, unknown> {
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

/** `Type.field` of every @FieldResolver method of a resolver class (kind "external"; "internal" ones are getters of the type). */
function fieldResolverCoordinates(): Set<string> {
  const storage = getMetadataStorage();
  const names = new Map<Function, string>(storage.objectTypes.map((t) => [t.target, t.name]));
  const coordinates = new Set<string>();
  for (const resolver of storage.fieldResolvers) {
    if (resolver.kind !== 'external' || !resolver.getObjectType) continue;
    const typeName = names.get(resolver.getObjectType() as Function);
    if (typeName) coordinates.add(`${typeName}.${resolver.schemaName}`);
  }
  return coordinates;
}

/** Names of the object and interface types reachable from the given root coordinates. */
function typesBelow(schema: GraphQLSchema, coordinates: string[]): Set<string> {
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
