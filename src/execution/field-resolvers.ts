import { defaultFieldResolver, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import { cachedResolver, readCachedDirective, type CachedFieldConfig } from '../cache/cached-field.js';
import { checkReadTags } from '../cache/check-read-tags.js';
import type { TieredCache } from '../cache/tiered-cache.js';
import { noteUncachedWork, type RequestContext } from '../context.js';
import type { ResolverRecorder } from '../metrics/resolver-recorder.js';
import { timedResolver, typesBelow } from '../metrics/resolver-timing.js';

/** The root fields that read or reset metrics: they and everything below them are never timed. */
const METRICS_ROOTS = ['Query.metrics', 'Mutation.resetMetrics'];

export interface FieldResolverOptions {
  cache: TieredCache;
  /** Part of every cache key: entries of another schema never match. */
  schemaVersion: string;
  /** Resolver timing for Metrics; null when metrics are off. */
  timings: ResolverRecorder | null;
}

export interface ComposedFields {
  cached: CachedFieldConfig[];
  timed: string[];
}

/**
 * The one place that decides, once at start, what wraps each field's resolver. A field
 * gets only what it needs, in this order (outermost first):
 *
 *   timing   fields that do work (root fields, @FieldResolver methods, @cached fields),
 *            so a cache hit is timed as the caller saw it; never under Query.metrics
 *   cache    @cached fields: L1 → L2 → the resolver, run in the request's cached view
 *   marker   working fields without @cached: note the request read uncached data, so
 *            its response is never stored as an operation entry
 *
 * Plain property fields keep no resolver at all: type-graphql gives each one a wrapper
 * that only reads the property, which costs a call per field per row and stops
 * graphql-jit from inlining the read.
 */
export function composeFieldResolvers(schema: GraphQLSchema, options: FieldResolverOptions): ComposedFields {
  dropPropertyReaders(schema);
  const working = workingFieldCoordinates();
  const untimedTypes = typesBelow(schema, METRICS_ROOTS);
  const roots = new Set([schema.getQueryType(), schema.getMutationType()].filter(Boolean));
  const composed: ComposedFields = { cached: [], timed: [] };
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const subscription = type === schema.getSubscriptionType();
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${type.name}.${field.name}`;
      const cached = readCachedDirective(type, field, schema);
      const works = roots.has(type) || working.has(coordinate) || cached !== null;
      if (!works || subscription) continue; // a subscription's resolve runs per event; its work is in subscribe
      let resolve: GraphQLFieldResolver<unknown, RequestContext> = field.resolve ?? defaultFieldResolver;
      if (cached) {
        resolve = cachedResolver(cached, resolve, options.cache, options.schemaVersion);
        composed.cached.push(cached);
      } else {
        resolve = markingUncachedWork(resolve);
      }
      if (type === schema.getMutationType()) resolve = readingPrimaryFromNow(resolve);
      if (options.timings && !untimedTypes.has(type.name) && !METRICS_ROOTS.includes(coordinate)) {
        resolve = timedResolver(resolve, options.timings.field(coordinate));
        composed.timed.push(coordinate);
      }
      field.resolve = resolve;
    }
  }
  checkReadTags(composed.cached);
  return composed;
}

function markingUncachedWork(resolve: GraphQLFieldResolver<unknown, RequestContext>): GraphQLFieldResolver<unknown, RequestContext> {
  return (parent, args, ctx, info) => {
    noteUncachedWork(ctx);
    return resolve(parent, args, ctx, info);
  };
}

/** A write's request reads the primary from its first mutation field on (read replicas): it sees its own write. */
function readingPrimaryFromNow(resolve: GraphQLFieldResolver<unknown, RequestContext>): GraphQLFieldResolver<unknown, RequestContext> {
  return (parent, args, ctx, info) => {
    ctx.reads?.primaryFromNow();
    return resolve(parent, args, ctx, info);
  };
}

/**
 * Removes type-graphql's per-field property readers where they add nothing: a field with
 * no @FieldResolver, no middleware, no @Authorized roles, and the same name in the schema
 * as on the class (so the default read of `parent[fieldName]` is the same read).
 */
function dropPropertyReaders(schema: GraphQLSchema): void {
  const storage = getMetadataStorage();
  const resolved = new Set(storage.fieldResolvers.map((r) => `${r.getObjectType?.()?.name ?? ''}.${r.methodName}`));
  for (const objectType of storage.objectTypes) {
    const type = schema.getType(objectType.name);
    if (!type || !isObjectType(type)) continue;
    const fields = type.getFields();
    for (const meta of objectType.fields ?? []) {
      const field = fields[meta.schemaName];
      const plain =
        meta.schemaName === meta.name &&
        !meta.roles?.length &&
        !meta.middlewares?.length &&
        !resolved.has(`${objectType.target.name}.${meta.name}`);
      if (field && plain) field.resolve = undefined;
    }
  }
}

/** `Type.field` of every @FieldResolver method of a resolver class (kind "external"; "internal" ones are getters of the type). */
function workingFieldCoordinates(): Set<string> {
  const storage = getMetadataStorage();
  // Keyed by the class object itself (type-graphql's metadata targets are classes).
  const names = new Map<object, string>(storage.objectTypes.map((t) => [t.target, t.name]));
  const coordinates = new Set<string>();
  for (const resolver of storage.fieldResolvers) {
    if (resolver.kind !== 'external' || !resolver.getObjectType) continue;
    const typeName = names.get(resolver.getObjectType() as object);
    if (typeName) coordinates.add(`${typeName}.${resolver.schemaName}`);
  }
  return coordinates;
}
