import { Arg, Authorized, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { createApiKey, revokeApiKey } from '../auth/api-keys.js';
import type { RequestContext } from '../context.js';
import { BadUserInputError, NotFoundError } from '../errors.js';
import { parseId, parseIds } from '../schema/arguments.js';
import { ADMINS } from '../schema/auth-checker.js';
import { Role } from '../schema/enums.js';
import { ApiKeyCreated } from '../schema/types/api-key-created.type.js';
import { expectKnownStores } from './known-stores.js';

@Resolver()
export class ApiKeyResolver {
  @Authorized(ADMINS)
  @Mutation(() => ApiKeyCreated, { description: 'The key is returned once; only its hash is kept' })
  async createApiKey(
    @Ctx() ctx: RequestContext,
    @Arg('name', () => String) name: string,
    @Arg('role', () => Role) role: Role,
    @Arg('storeIds', () => [ID], { nullable: true }) storeIds?: string[] | null,
  ) {
    const trimmed = name.trim();
    if (trimmed.length === 0 || trimmed.length > 100) throw new BadUserInputError('name must be 1 to 100 characters', { argument: 'name' });
    const ids = storeIds ? parseIds(storeIds, 'storeIds') : null;
    if (ids) {
      if (ids.length === 0)
        throw new BadUserInputError('storeIds must name at least one store, or be omitted for all stores', { argument: 'storeIds' });
      await expectKnownStores(ctx, ids);
    }
    return createApiKey(ctx.db, { name: trimmed, role, storeIds: ids });
  }

  @Authorized(ADMINS)
  @Mutation(() => Boolean, { description: 'Takes effect at once on every instance; false if the key was already revoked' })
  async revokeApiKey(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    const keyId = parseId(id, 'id');
    const exists = await ctx.db.selectFrom('api_keys').select('id').where('id', '=', keyId).executeTakeFirst();
    if (!exists) throw new NotFoundError('API key', id);
    const revoked = await revokeApiKey(ctx.db, keyId);
    await ctx.services.principals.revoked();
    return revoked;
  }
}
