import { getDirectiveValues, isObjectType, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { Arg, Authorized, Ctx, Info, Int, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../context.js';
import { BadUserInputError, ServiceUnavailableError } from '../errors.js';
import { ADMINS } from '../schema/auth-checker.js';
import { cachedDirective } from '../schema/directives/cached.directive.js';

const TAG = /^[\w:.-]{1,200}$/;
const MAX_TAGS = 1000;
const MAX_FIELDS = 100;

const cachedCoordinatesBySchema = new WeakMap<GraphQLSchema, Set<string>>();

/** Coordinates (Type.field) of every @cached field of the schema, computed once per schema. */
function cachedCoordinates(schema: GraphQLSchema): Set<string> {
  let coordinates = cachedCoordinatesBySchema.get(schema);
  if (coordinates) return coordinates;
  coordinates = new Set();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.astNode && getDirectiveValues(cachedDirective, field.astNode)) coordinates.add(`${type.name}.${field.name}`);
    }
  }
  cachedCoordinatesBySchema.set(schema, coordinates);
  return coordinates;
}

function checkedTags(tags: string[]): string[] {
  if (tags.length === 0 || tags.length > MAX_TAGS)
    throw new BadUserInputError(`tags must name 1 to ${MAX_TAGS} tags, got ${tags.length}`, { argument: 'tags' });
  const bad = tags.find((tag) => !TAG.test(tag));
  if (bad !== undefined)
    throw new BadUserInputError(`tag ${JSON.stringify(bad)} is not a cache tag (letters, digits, _ : . - only)`, { argument: 'tags' });
  return tags;
}

/** Each coordinate must name a @cached field; its entries all carry the tag field:<coordinate> (src/cache/cached-field.ts). */
function fieldTags(fields: string[], schema: GraphQLSchema): string[] {
  if (fields.length === 0 || fields.length > MAX_FIELDS)
    throw new BadUserInputError(`fields must name 1 to ${MAX_FIELDS} field coordinates, got ${fields.length}`, { argument: 'fields' });
  const known = cachedCoordinates(schema);
  const unknown = fields.find((field) => !known.has(field));
  if (unknown !== undefined)
    throw new BadUserInputError(
      `${JSON.stringify(unknown.slice(0, 200))} is not a @cached field (expected Type.field, e.g. Store.revenue)`,
      {
        argument: 'fields',
        field: unknown.slice(0, 200),
      },
    );
  return fields.map((field) => `field:${field}`);
}

@Resolver()
export class CacheAdminResolver {
  @Authorized(ADMINS)
  @Mutation(() => Int, {
    description:
      'Exactly one of: tags (drops every entry carrying one of them), fields (every entry of those @cached fields, ' +
      'coordinates Type.field), all: true (a new cache generation: everything, O(1)). Both tiers, every instance. ' +
      "Returns the entries evicted (with all: the entries dropped from this instance's L1; L2 entries expire by TTL)",
  })
  async invalidateCache(
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('tags', () => [String], { nullable: true }) tags: string[] | null | undefined,
    @Arg('fields', () => [String], { nullable: true }) fields: string[] | null | undefined,
    @Arg('all', () => Boolean, { nullable: true }) all: boolean | null | undefined,
  ): Promise<number> {
    const given = [tags != null && 'tags', fields != null && 'fields', all === true && 'all: true'].filter(Boolean);
    if (given.length !== 1)
      throw new BadUserInputError(
        given.length === 0
          ? 'give one of tags, fields or all: true'
          : `give only one of tags, fields or all: true, not ${given.join(' and ')}`,
      );
    const { cache, logger } = ctx.services;
    const key = ctx.principal?.keyId;
    if (all === true) {
      const cleared = await cache.clearAll();
      if (!cleared) throw new ServiceUnavailableError('Redis is unreachable: the cache generation cannot be bumped, nothing was cleared');
      logger.info({ ...cleared, key }, 'whole cache cleared by an admin (new generation)');
      return cleared.dropped;
    }
    const dropped = tags != null ? checkedTags(tags) : fieldTags(fields!, info.schema);
    logger.info({ tags: dropped, key }, 'cache invalidated by an admin');
    return cache.invalidate(dropped);
  }
}
