import { DirectiveLocation, GraphQLDirective, GraphQLEnumType, GraphQLInt, GraphQLList, GraphQLNonNull, GraphQLString } from 'graphql';
import { Directive, Extensions } from 'type-graphql';
import type { ReadTagTemplate } from '../../cache/tag-vocabulary.js';

export type CacheScopeName = 'PUBLIC' | 'PRIVATE';

/** Defined with graphql-js (not type-graphql) because it is only used by the directive. */
export const CacheScopeEnum = new GraphQLEnumType({
  name: 'CacheScope',
  description: 'PUBLIC: one entry for every caller; PRIVATE: one entry per store scope of the calling key',
  values: { PUBLIC: { value: 'PUBLIC' }, PRIVATE: { value: 'PRIVATE' } },
});

export const cachedDirective = new GraphQLDirective({
  name: 'cached',
  description:
    'Caches the field per parent, arguments and scope in L1 (in-process) and L2 (Redis). ttl and swr are seconds; ' +
    'tags are templates over {parent.<field>} and {args.<name>}, and {buckets:args.<range>} expands to the day (ranges up to 31 days) ' +
    'or month buckets of a DateRange argument.',
  locations: [DirectiveLocation.FIELD_DEFINITION],
  args: {
    ttl: { type: new GraphQLNonNull(GraphQLInt) },
    scope: { type: CacheScopeEnum, defaultValue: 'PUBLIC' },
    tags: { type: new GraphQLList(new GraphQLNonNull(GraphQLString)) },
    swr: { type: GraphQLInt },
  },
});

export interface CachedOptions {
  /** Seconds an entry is fresh. */
  ttl: number;
  /** Default PUBLIC. */
  scope?: CacheScopeName;
  /** Built with readTag (src/cache/tag-vocabulary.ts): free text is refused here and at start. */
  tags?: readonly ReadTagTemplate[];
  /** Seconds after expiry during which the stale value is served while one refresh runs. Default 0. */
  swr?: number;
  /** Query-cost weight of the field (an aggregate over many rows); not part of the directive. Default: none. */
  cost?: number;
}

/**
 * The typed way to put @cached on a type-graphql field. It only writes the directive
 * into the schema; cached-field.ts reads it back at start and wraps the resolver once.
 */
export function Cached(options: CachedOptions): MethodDecorator & PropertyDecorator {
  const parts = [`ttl: ${options.ttl}`];
  if (options.scope) parts.push(`scope: ${options.scope}`);
  if (options.tags?.length) parts.push(`tags: [${options.tags.map((t) => JSON.stringify(t)).join(', ')}]`);
  if (options.swr !== undefined) parts.push(`swr: ${options.swr}`);
  const directive = Directive(`@cached(${parts.join(', ')})`);
  if (options.cost === undefined) return directive;
  const extensions = Extensions({ cost: options.cost });
  return (target: object, key: string | symbol, descriptor?: PropertyDescriptor) => {
    directive(target, key, descriptor as TypedPropertyDescriptor<unknown>);
    extensions(target, key, descriptor as TypedPropertyDescriptor<unknown>);
  };
}
