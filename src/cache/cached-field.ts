import {
  getDirectiveValues,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import { scopeKey } from '../auth/principal.js';
import type { RequestContext } from '../context.js';
import { computationContext } from './fresh-reads.js';
import { cachedDirective, type CacheScopeName } from '../schema/directives/cached.directive.js';
import { argsKey, hashOf, stableJson } from './keys.js';
import { compileTagTemplate, type TagTemplate } from './tags.js';
import type { TieredCache } from './tiered-cache.js';

export interface CachedFieldConfig {
  coordinate: string;
  ttl: number;
  swr: number;
  scope: CacheScopeName;
  tags: TagTemplate[];
  /** The templates as written in the directive (checked against the tag vocabulary at start). */
  tagTemplates: string[];
}

/**
 * Which parent an entry belongs to: its id when it has one (entities), else a hash of
 * the whole parent (rows such as ProductPerformance), so two parents never share a key.
 */
function parentKeyOf(parent: unknown): string {
  if (parent === null || parent === undefined) return 'root';
  const id = (parent as { id?: unknown }).id;
  if (typeof id === 'number' || typeof id === 'string') return String(id);
  const json = stableJson(parent);
  return json === '{}' ? 'root' : hashOf(json);
}

function pathOf(info: GraphQLResolveInfo): string {
  const parts: Array<string | number> = [];
  for (let p: GraphQLResolveInfo['path'] | undefined = info.path; p; p = p.prev) parts.push(p.key);
  return parts.reverse().join('.');
}

/** Reads and validates @cached of one field; throws with the coordinate when the directive is bad. */
export function readCachedDirective(
  type: GraphQLObjectType,
  field: GraphQLField<unknown, unknown>,
  schema: GraphQLSchema,
): CachedFieldConfig | null {
  if (!field.astNode) return null;
  const values = getDirectiveValues(cachedDirective, field.astNode);
  if (!values) return null;
  const coordinate = `${type.name}.${field.name}`;
  if (type === schema.getMutationType() || type === schema.getSubscriptionType()) {
    throw new Error(`@cached on ${coordinate}: mutation and subscription fields are never cached`);
  }
  const ttl = values.ttl as number;
  const swr = (values.swr as number | null | undefined) ?? 0;
  if (!Number.isInteger(ttl) || ttl <= 0) throw new Error(`@cached on ${coordinate}: ttl must be a positive number of seconds, got ${ttl}`);
  if (!Number.isInteger(swr) || swr < 0) throw new Error(`@cached on ${coordinate}: swr must be zero or more seconds, got ${swr}`);
  const scope = { parentFields: new Set(Object.keys(type.getFields())), argNames: new Set(field.args.map((a) => a.name)) };
  const tagTemplates = (values.tags as string[] | null | undefined) ?? [];
  const templates = tagTemplates.map((t) => compileTagTemplate(t, coordinate, scope));
  return { coordinate, ttl, swr, scope: (values.scope as CacheScopeName) ?? 'PUBLIC', tags: templates, tagTemplates };
}

/**
 * A @cached field's resolver: only queries read or fill the cache; a caller without a
 * reading role goes straight to the resolver so its auth check answers. The resolver runs
 * in the request's cached view (withinCachedField): its reads are covered by the entry.
 * Installed by composeFieldResolvers (src/execution/field-resolvers.ts).
 */
export function cachedResolver(
  config: CachedFieldConfig,
  resolve: GraphQLFieldResolver<unknown, RequestContext>,
  cache: TieredCache,
  schemaVersion: string,
): GraphQLFieldResolver<unknown, RequestContext> {
  const prefix = `v${schemaVersion}:${config.coordinate}:`;
  const fieldTag = `field:${config.coordinate}`;
  return (parent, args, ctx, info) => {
    const principal = ctx.principal;
    if (info.operation.operation !== 'query' || !principal || !ctx.reader) {
      return resolve(parent, args, ctx, info);
    }
    const scope = config.scope === 'PRIVATE' ? scopeKey(principal) : 'pub';
    const key = `${prefix}${parentKeyOf(parent)}:${argsKey(args)}:${scope}`;
    const inMemory = cache.freshFromL1(key, config.coordinate);
    if (inMemory) {
      ctx.cacheRecord?.record({ path: pathOf(info), field: config.coordinate, scope: config.scope, ...inMemory.outcome });
      return inMemory.value;
    }
    const tags = () => [fieldTag, ...config.tags.flatMap((template) => template(parent, args as Record<string, unknown>))];
    // The request's cache record stands for the request: once Redis failed it, its other fields do not ask Redis.
    const options = { field: config.coordinate, ttlSeconds: config.ttl, swrSeconds: config.swr, tags, request: ctx.cacheRecord };
    return cache
      .fetch(key, options, () => {
        // With read replicas, a computation whose tags a write noted first learns where it may read.
        const view = computationContext(ctx, tags);
        return view instanceof Promise ? view.then((within) => resolve(parent, args, within, info)) : resolve(parent, args, view, info);
      })
      .then(
        ({ value, outcome }) => {
          ctx.cacheRecord?.record({ path: pathOf(info), field: config.coordinate, scope: config.scope, ...outcome });
          return value;
        },
        (error: unknown) => {
          // A field that failed did not hit: listed as a MISS, so X-Cache cannot say HIT.
          ctx.cacheRecord?.record({
            path: pathOf(info),
            field: config.coordinate,
            scope: config.scope,
            tier: 'MISS',
            age: 0,
            stale: false,
            tags: [],
            freshUntil: 0,
            staleUntil: 0,
          });
          throw error;
        },
      );
  };
}
