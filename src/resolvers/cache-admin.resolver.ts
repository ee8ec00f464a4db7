import { Arg, Authorized, Ctx, Int, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../context.js';
import { BadUserInputError } from '../errors.js';
import { ADMINS } from '../schema/auth-checker.js';

const TAG = /^[\w:.-]{1,200}$/;

@Resolver()
export class CacheAdminResolver {
  @Authorized(ADMINS)
  @Mutation(() => Int, {
    description: 'Drops every entry carrying one of the tags, in both tiers and on every instance; returns the entries evicted',
  })
  async invalidateCache(@Ctx() ctx: RequestContext, @Arg('tags', () => [String]) tags: string[]) {
    if (tags.length === 0 || tags.length > 1000)
      throw new BadUserInputError(`tags must name 1 to 1000 tags, got ${tags.length}`, { argument: 'tags' });
    const bad = tags.find((tag) => !TAG.test(tag));
    if (bad !== undefined)
      throw new BadUserInputError(`tag ${JSON.stringify(bad)} is not a cache tag (letters, digits, _ : . - only)`, { argument: 'tags' });
    ctx.services.logger.info({ tags, key: ctx.principal?.keyId }, 'cache invalidated by an admin');
    return ctx.services.cache.invalidate(tags);
  }
}
